import type { CallOptions } from '../adapter.js';
import { Abortable, type AbortLike } from './signals.js';

/** How a call may be treated: a read, a long poll (`wait`), or a write (PUT, POST, DELETE). */
export type CallKind = 'read' | 'wait' | 'write';

/** What an adapter's core reports when an answer's headers arrive, before its body is read. */
export interface Answer {
  /** The member that answered. */
  readonly endpoint: string;
  /** The cluster id it answered with (`X-Etcd-Cluster-Id`, or the v3 header's), when it sent one. */
  readonly clusterId: string | undefined;
}

/**
 * One call as it passes through an adapter's layers to its core. It is its own abort signal (the
 * caller's signal, the deadline and `close()` abort it); the layers fill in the rest: `timeout`
 * (deadline), `endpoint` and `attempt` (failover), answer checks (cluster id). The core sends
 * `request` to `endpoint`, aborts on `attempt`, and calls `answered()` when headers arrive.
 */
export class Call<Request extends CallOptions = CallOptions> extends Abortable {
  /** The adapter method, e.g. `get`, `set`, or an adapter's own (`members`). */
  readonly operation: string;
  readonly request: Request;
  readonly kind: CallKind;
  /** The call's limit in milliseconds (`Infinity`: none), as the deadline layer resolved it. */
  timeout = Number.POSITIVE_INFINITY;
  /** The member of the current attempt (set by failover; a single-member core sets its own). */
  endpoint: string | undefined;
  /** The member object of the current attempt, as the adapter's `Members` hands it out. */
  member: unknown;
  /** The signal the current attempt must stop on: the call itself, or a narrower attempt limit. */
  attempt: AbortLike = this;
  /** An adapter's own state that must outlive one attempt (e.g. a wait's pinned index). */
  resume: number | undefined;
  #checks: Array<(answer: Answer) => void> | undefined;
  #onAbort: (() => void) | undefined;

  constructor(operation: string, request: Request, kind: CallKind) {
    super();
    this.operation = operation;
    this.request = request;
    this.kind = kind;
  }

  /** True for a write: a broken exchange leaves its outcome unknown. */
  get write(): boolean {
    return this.kind === 'write';
  }

  /** Adds a check run on every answer (a layer's; it throws to refuse the answer). */
  onAnswer(check: (answer: Answer) => void): void {
    if (this.#checks === undefined) this.#checks = [check];
    else this.#checks.push(check);
  }

  /**
   * A promise that settles as `work` does, or with the abort reason the moment the call aborts,
   * whichever comes first; `cleanup` runs once either way. One per call (the deadline layer's).
   */
  settleWith(work: Promise<unknown>, cleanup: () => void): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.aborted) {
        // Aborted while `work` was being started: its own outcome no longer matters, but a
        // rejection of it must not go unhandled.
        work.then(undefined, () => {});
        cleanup();
        reject(this.reason);
        return;
      }
      this.#onAbort = () => {
        cleanup();
        reject(this.reason);
      };
      work.then(
        (value) => {
          if (this.#onAbort === undefined) return;
          this.#onAbort = undefined;
          cleanup();
          resolve(value);
        },
        (error: unknown) => {
          if (this.#onAbort === undefined) return;
          this.#onAbort = undefined;
          cleanup();
          reject(this.aborted ? this.reason : error);
        },
      );
    });
  }

  override abort(reason: unknown): void {
    if (this.aborted) return;
    super.abort(reason);
    const settle = this.#onAbort;
    this.#onAbort = undefined;
    settle?.();
  }

  /** Called by the core when an answer's headers arrive; throws what a check throws. */
  answered(answer: Answer): void {
    const checks = this.#checks;
    if (checks !== undefined) for (const check of checks) check(answer);
  }
}

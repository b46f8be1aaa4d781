import type { Call } from './call.js';
import { effectiveTimeout, timeoutFailure } from './deadline.js';
import { channels } from './diagnostics.js';
import type { Layer, Send } from './layer.js';
import { classifyFailure, mayRetry } from './retry.js';
import { Abortable } from './signals.js';

/** A member as the failover layer sees it. */
export interface Member {
  readonly url: string;
}

/** The members of a cluster and the one in use, as an adapter keeps them. */
export interface Members<M extends Member = Member> {
  /** The order in which a call tries the members: the one in use first. */
  order(): readonly M[];
  /** `member` answered: it becomes the one in use. */
  use(member: M): void;
  /** `member` failed: if it is the one in use, another takes over. */
  failed(member: M): void;
}

/** Options of the failover layer. */
export interface FailoverOptions {
  /**
   * Milliseconds one attempt on one member may take (`Infinity`: no limit). For a wait it bounds
   * the time until the member answers (headers), not the wait.
   */
  attemptTimeout?: number | undefined;
  /**
   * A transport's own rule for repeating a failed attempt once on the same member (HTTP: a read
   * whose keep-alive connection was closed by the server as it went out).
   */
  retrySameMember?: ((error: unknown, call: Call) => boolean) | undefined;
}

/** One attempt's time limit: a signal that follows the call's and also aborts when it passes. */
class AttemptLimit extends Abortable {
  expired = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #call: Call;
  readonly #follow = (): void => this.abort(this.#call.reason);

  constructor(call: Call, timeout: number) {
    super();
    this.#call = call;
    call.addEventListener('abort', this.#follow);
    this.#timer = setTimeout(() => {
      this.expired = true;
      this.abort(new Error('attempt timed out'));
    }, timeout);
  }

  stopTimer(): void {
    clearTimeout(this.#timer);
  }

  finish(): void {
    clearTimeout(this.#timer);
    this.#call.removeEventListener('abort', this.#follow);
  }
}

/**
 * The failover layer: sends a call to the member in use and, by the rules of `mayRetry`, on to the
 * others, each at most once (plus one repeat on the same member when the transport's own rule says
 * so). Reads and waits move on after a network failure, a timed-out attempt, a 5xx, a garbled
 * answer or a member of another cluster; writes only when they certainly never reached a server
 * (a write that may have been applied, or that got a 5xx, ends the call as it is). When every member
 * failed it rejects with the last 5xx, else `ClusterMismatch`, else the last failure.
 */
export function failover<M extends Member>(members: Members<M>, options: FailoverOptions = {}): Layer {
  const attemptTimeout = effectiveTimeout(options.attemptTimeout ?? Number.POSITIVE_INFINITY);
  const retrySame = options.retrySameMember;
  return {
    name: 'failover',
    wrap(next: Send): Send {
      return async (call) => {
        let unavailable: { error: unknown } | undefined;
        let mismatch: { error: unknown } | undefined;
        let failure: unknown;
        let repeated = false;
        let limit: AttemptLimit | undefined;
        if (attemptTimeout !== Number.POSITIVE_INFINITY && call.kind === 'wait') {
          call.onAnswer(() => limit?.stopTimer());
        }
        const order = members.order();
        // The call's own time running out on a member counts as that member failing, at once:
        // the next call starts elsewhere. Only while an attempt is on it: once this layer has
        // settled, an abort (a layer above holding the answer) says nothing about the member.
        const onAbort =
          order.length > 1
            ? (): void => {
                const kind = classifyFailure(call.reason);
                if (kind === 'network' || kind === 'outcome-unknown') members.failed(call.member as M);
              }
            : undefined;
        if (onAbort !== undefined) call.addEventListener('abort', onAbort);
        try {
          for (let i = 0; i < order.length; i++) {
            const member = order[i] as M;
            call.endpoint = member.url;
            call.member = member;
            if (attemptTimeout !== Number.POSITIVE_INFINITY) {
              limit = new AttemptLimit(call, attemptTimeout);
              call.attempt = limit;
            }
            try {
              const result = await next(call);
              members.use(member);
              if (i > 0 && channels.failover.hasSubscribers) {
                channels.failover.publish({ call, from: (order[0] as M).url, to: member.url });
              }
              return result;
            } catch (caught) {
              if (call.aborted) throw call.reason;
              const error = limit?.expired
                ? timeoutFailure(call, attemptTimeout, caught, `attempt timeout of ${attemptTimeout} ms`)
                : caught;
              if (!repeated && retrySame?.(error, call)) {
                repeated = true;
                i--;
                if (channels.retry.hasSubscribers) {
                  channels.retry.publish({ call, endpoint: member.url, error, next: member.url });
                }
                continue;
              }
              if (!mayRetry(error, call.write)) throw error;
              members.failed(member);
              const following = order[i + 1];
              if (following !== undefined && channels.retry.hasSubscribers) {
                channels.retry.publish({ call, endpoint: member.url, error, next: following.url });
              }
              const kind = classifyFailure(error);
              if (kind === 'unavailable') unavailable = { error };
              else if (kind === 'mismatch') mismatch = { error };
              else failure = error;
            } finally {
              limit?.finish();
              limit = undefined;
              call.attempt = call;
            }
          }
          throw (unavailable ?? mismatch ?? { error: failure }).error;
        } finally {
          if (onAbort !== undefined) call.removeEventListener('abort', onAbort);
        }
      };
    },
  };
}

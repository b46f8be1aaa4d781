/** `MockStore`: an in-memory etcd v2 member that answers wire requests as etcd 3.4 does. */
import {
  type AbortLike,
  ConnectionError,
  ConnectionRefused,
  normalizeKey,
  type WireRequest,
  type WireResponse,
} from '@etc/protocol';
import { applyWrite } from './apply.js';
import type { StoreEvent } from './event.js';
import { StoreFailure } from './failure.js';
import { parseKeyRequest } from './params.js';
import { errorResponse, eventResponse, type ResponseContext } from './responses.js';
import { type SeedTree, seedInto, snapshotOf } from './seed.js';
import { V2Store } from './v2-store.js';
import type { Watcher } from './watchers.js';

/** Options of a `MockStore`. */
export interface MockStoreOptions {
  /** Keys to write at once (each takes an index, as a set does). */
  seed?: SeedTree | undefined;
  /** The `X-Etcd-Cluster-Id` header: 16 hex digits; random when absent. */
  clusterId?: string | undefined;
}

/** Options of `MockStore.handle`. */
export interface HandleOptions {
  /** Aborting a pending wait removes its watcher and rejects with the signal's reason. */
  signal?: AbortLike | undefined;
}

interface PendingWait {
  watcher: Watcher;
  reject: (reason: unknown) => void;
}

/** The raft position a fresh single-member etcd 3.4 reports: index 4, term 2. */
const initialRaftIndex = 4;
const raftTerm = 2;
/** setTimeout's largest delay; a later expiry re-arms the timer when it fires. */
const maxDelay = 2 ** 31 - 1;

function randomId(): string {
  const part = () =>
    Math.floor(Math.random() * 2 ** 32)
      .toString(16)
      .padStart(8, '0');
  return part() + part();
}

/**
 * One in-memory etcd v2 member (think: one cluster), shared by any number of `MockAdapter`s.
 * Time comes from `Date.now()` and `setTimeout`, so `vi.useFakeTimers()` drives TTLs: expired
 * nodes are removed before every request, and by a timer armed for the earliest expiration
 * (none when no node has a TTL).
 */
export class MockStore {
  /** The `X-Etcd-Cluster-Id` this store answers with; also names it in adapters' `url`. */
  readonly clusterId: string;
  readonly #store = new V2Store();
  readonly #pending = new Set<PendingWait>();
  #raftIndex = initialRaftIndex;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(options: MockStoreOptions = {}) {
    this.clusterId = options.clusterId ?? randomId();
    if (options.seed) this.seed(options.seed);
  }

  /** The current etcd index (expired nodes are removed first, as any request would). */
  get index(): number {
    this.#sweep();
    return this.#store.currentIndex;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** How many waits are pending. */
  get waiting(): number {
    return this.#pending.size;
  }

  /**
   * Answers one keys-API request as etcd 3.4 would: status, lower-cased headers and body text.
   * etcd errors resolve (as error responses); the promise rejects only with the signal's reason,
   * with `ConnectionRefused` when the store is closed, and with `ConnectionError` when a pending
   * wait is cut off by `close()` or `reset()`.
   */
  handle(request: WireRequest, options: HandleOptions = {}): Promise<WireResponse> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#closed) return Promise.reject(new ConnectionRefused('the mock etcd store is closed'));
    if (!['GET', 'PUT', 'POST', 'DELETE'].includes(request.method)) {
      return Promise.resolve({
        status: 405,
        headers: { allow: 'GET, HEAD, POST, PUT, DELETE', 'content-type': 'text/plain; charset=utf-8' },
        body: 'Method Not Allowed\n',
      });
    }
    try {
      return this.#answer({ ...request, key: normalizeKey(request.key) }, signal);
    } catch (error) {
      return Promise.reject(error);
    } finally {
      this.#arm();
    }
  }

  /** Writes a plain-object tree (strings are values, objects are directories), one set per node. */
  seed(tree: SeedTree): void {
    this.#open();
    this.#sweep();
    seedInto(this.#store, tree, Date.now());
    this.#arm();
  }

  /** The whole tree as a plain object, hidden keys included (expired nodes removed first). */
  snapshot(): SeedTree {
    this.#sweep();
    return snapshotOf(this.#store.root);
  }

  /** Back to a fresh etcd: empty tree, index 3, history cleared; pending waits reject. */
  reset(): void {
    this.#open();
    this.#rejectWaits(new ConnectionError('the mock etcd store was reset'));
    this.#store.reset();
    this.#raftIndex = initialRaftIndex;
    this.#arm();
  }

  /** Stops the expiry timer and rejects pending waits; later requests reject. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#rejectWaits(new ConnectionError('the mock etcd store was closed'));
    this.#arm();
  }

  #context(): ResponseContext {
    return { clusterId: this.clusterId, raftIndex: this.#raftIndex, raftTerm };
  }

  #answer(request: WireRequest, signal: AbortLike | undefined): Promise<WireResponse> {
    const now = Date.now();
    this.#sweep(now);
    try {
      const parsed = parseKeyRequest(request);
      if (parsed.method === 'GET') {
        if (parsed.wait) return this.#wait(parsed.key, parsed.recursive, parsed.waitIndex, signal);
        if (parsed.quorum) this.#raftIndex++;
        const event = this.#store.get(parsed.key, parsed.recursive, parsed.sorted, now);
        return Promise.resolve(eventResponse(event, this.#store.currentIndex, this.#context()));
      }
      this.#raftIndex++;
      const event = applyWrite(this.#store, parsed, now);
      const context = this.#context();
      const response = eventResponse(event, this.#store.currentIndex, context, {
        noValue: parsed.noValueOnSuccess,
      });
      return Promise.resolve(response);
    } catch (error) {
      if (error instanceof StoreFailure) return Promise.resolve(errorResponse(error, this.clusterId));
      throw error;
    }
  }

  #wait(key: string, recursive: boolean, waitIndex: number, signal?: AbortLike): Promise<WireResponse> {
    const context = this.#context();
    const startIndex = this.#store.currentIndex;
    const answer = (event: StoreEvent) => eventResponse(event, startIndex, context, { watch: true });
    let settle: ((response: WireResponse) => void) | undefined;
    const outcome = this.#store.watch(key, recursive, waitIndex, (event) => settle?.(answer(event)));
    if ('event' in outcome) return Promise.resolve(answer(outcome.event));
    const { watcher } = outcome;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#store.hub.remove(watcher);
        finish();
        reject(signal?.reason);
      };
      const finish = () => {
        signal?.removeEventListener('abort', onAbort);
        this.#pending.delete(pending);
      };
      const pending: PendingWait = {
        watcher,
        reject: (reason) => {
          finish();
          reject(reason);
        },
      };
      settle = (response) => {
        finish();
        resolve(response);
      };
      this.#pending.add(pending);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #rejectWaits(reason: Error): void {
    this.#store.hub.drain();
    for (const wait of [...this.#pending]) wait.reject(reason);
  }

  /** Expires every node whose expiration is at or before `now` (one `expire` event and index each). */
  #sweep(now = Date.now()): void {
    if (this.#closed) return;
    if (this.#store.deleteExpired(now).length > 0) this.#raftIndex++;
  }

  /** Keeps exactly one timer armed for the earliest expiration; none when closed or no TTL exists. */
  #arm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const next = this.#closed ? undefined : this.#store.ttlKeys.top();
    if (next?.expireTime === undefined) return;
    const delay = Math.min(Math.max(next.expireTime - Date.now(), 0), maxDelay);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#sweep();
      this.#arm();
    }, delay);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  #open(): void {
    if (this.#closed) throw new ConnectionRefused('the mock etcd store is closed');
  }
}

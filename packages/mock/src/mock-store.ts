/** `MockStore`: an in-memory etcd v2 member that answers wire requests as etcd 3.4 does. */
import {
  type AbortLike,
  type AppendRequest,
  ConnectionError,
  ConnectionRefused,
  type DeleteRequest,
  encodeRequest,
  type GetRequest,
  normalizeKey,
  type SetRequest,
  type WireRequest,
  type WireResponse,
} from '@etc/protocol';
import { MockAdmin } from './admin/mock-admin.js';
import type { MockCredentials } from './admin/mock-auth.js';
import { applyWrite } from './apply.js';
import type { StoreEvent } from './event.js';
import { StoreFailure } from './failure.js';
import { type KeyRequest, keyRequestOf, parseKeyRequest } from './params.js';
import {
  errorAnswer,
  eventAnswer,
  type MockAnswer,
  methodNotAllowed,
  type ResponseContext,
  wireResponse,
} from './responses.js';
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
  /** The user the request acts as (HTTP Basic auth); checked only while auth is enabled. */
  credentials?: MockCredentials | undefined;
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
 * (none when no node has a TTL). `pauseExpiry()` makes expiry late, as a paused etcd's is.
 */
export class MockStore {
  /** The `X-Etcd-Cluster-Id` this store answers with; also names it in adapters' `url`. */
  readonly clusterId: string;
  readonly #store = new V2Store();
  readonly #pending = new Set<PendingWait>();
  #raftIndex = initialRaftIndex;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #expiryPaused = false;
  /** Members, stats and v2 auth of this one-member cluster. */
  #admin: MockAdmin;

  constructor(options: MockStoreOptions = {}) {
    this.clusterId = options.clusterId ?? randomId();
    this.#admin = new MockAdmin(this.clusterId);
    if (options.seed) this.seed(options.seed);
  }

  /** The current etcd index (expired nodes are removed first, as any request would). */
  get index(): number {
    this.#sweep();
    return this.#store.currentIndex;
  }

  /** True between `pauseExpiry()` and `resumeExpiry()`. */
  get expiryPaused(): boolean {
    return this.#expiryPaused;
  }

  /**
   * Makes the store's expiry late, as a paused or overloaded etcd member's is: until
   * `resumeExpiry()`, keys whose TTL ran out are not removed. Reads and writes still find such a
   * key, and answer with its `ttl` as etcd computes it, which turns negative (-1 or lower) once the
   * key is a second or more overdue; no `expire` event happens, so waits on it keep waiting.
   */
  pauseExpiry(): void {
    this.#expiryPaused = true;
    this.#arm();
  }

  /**
   * Ends `pauseExpiry()`: the overdue keys expire at once (one `expire` event and index each, as
   * etcd's next sweep does), and the `prevNode` of each event shows how overdue it was (`ttl` -1
   * or lower after a second).
   */
  resumeExpiry(): void {
    if (!this.#expiryPaused) return;
    this.#expiryPaused = false;
    this.#sweep(Date.now(), true);
    this.#arm();
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
   * Answers one keys-API request as etcd 3.4 would: status, lower-cased headers and body text,
   * byte for byte. etcd errors resolve (as error responses); the promise rejects only with the
   * signal's reason, with `ConnectionRefused` when the store is closed, and with `ConnectionError`
   * when a pending wait is cut off by `close()` or `reset()`.
   */
  handle(request: WireRequest, options: HandleOptions = {}): Promise<WireResponse> {
    return this.answer(request, options).then(wireResponse);
  }

  /**
   * `handle` without the text: the same answer, with the body as the JSON value it parses to
   * (`MockAnswer`), for adapters that hand it to `decodeResult` and skip a serialise-and-parse.
   */
  answer(request: WireRequest, options: HandleOptions = {}): Promise<MockAnswer> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#closed) return Promise.reject(new ConnectionRefused('the mock etcd store is closed'));
    const { method } = request;
    if (method !== 'GET' && method !== 'PUT' && method !== 'POST' && method !== 'DELETE') {
      return Promise.resolve(methodNotAllowed());
    }
    return this.#settle(
      () => parseKeyRequest({ ...request, key: normalizeKey(request.key) }),
      signal,
      options.credentials,
    );
  }

  /**
   * Answers one administration request (`/v2/members`, `/v2/members/leader`, `/health`, `/version`,
   * `/v2/stats/*`, `/v2/auth/*`) as a one-member etcd 3.4 would, with v2 auth enforced for
   * `credentials`. Member changes are not served here (see `MockAdapter`). Rejects only with
   * `ConnectionRefused` when the store is closed.
   */
  handleAdmin(request: WireRequest, options: Pick<HandleOptions, 'credentials'> = {}): Promise<WireResponse> {
    if (this.#closed) return Promise.reject(new ConnectionRefused('the mock etcd store is closed'));
    this.#sweep();
    const response = this.#admin.handle(request, options.credentials, this.#store.hub.count, (key) => {
      // etcd keeps auth in its hidden `/2` tree: each write there takes an index.
      this.#store.internalWrite(key);
      this.#raftIndex++;
    });
    return Promise.resolve(response);
  }

  /**
   * Answers a typed `Adapter` request (`operation` is the adapter method: `get`, `set`, `append`,
   * `delete`) without building its wire form: the same answer as `answer()` of its encoding
   * (`encodeGet(request)`...), for the common requests at a fraction of the cost.
   */
  call(operation: 'get', request: GetRequest, options?: HandleOptions): Promise<MockAnswer>;
  call(operation: 'set', request: SetRequest, options?: HandleOptions): Promise<MockAnswer>;
  call(operation: 'append', request: AppendRequest, options?: HandleOptions): Promise<MockAnswer>;
  call(operation: 'delete', request: DeleteRequest, options?: HandleOptions): Promise<MockAnswer>;
  call(
    operation: 'get' | 'set' | 'append' | 'delete',
    request: GetRequest | SetRequest | AppendRequest | DeleteRequest,
    options: HandleOptions = {},
  ): Promise<MockAnswer> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#closed) return Promise.reject(new ConnectionRefused('the mock etcd store is closed'));
    return this.#settle(
      () => {
        const key = normalizeKey(request.key);
        const direct = keyRequestOf(operation, request);
        if (direct !== undefined) {
          direct.key = key;
          return direct;
        }
        return parseKeyRequest({ ...encodeRequest(operation, request), key });
      },
      signal,
      options.credentials,
    );
  }

  /** Parses (a `StoreFailure` becomes etcd's error answer), answers, and re-arms the expiry timer. */
  #settle(
    parse: () => KeyRequest,
    signal: AbortLike | undefined,
    credentials: MockCredentials | undefined,
  ): Promise<MockAnswer> {
    try {
      const now = Date.now();
      this.#sweep(now);
      let request: KeyRequest;
      try {
        request = parse();
      } catch (error) {
        if (error instanceof StoreFailure) return Promise.resolve(errorAnswer(error, this.clusterId));
        throw error;
      }
      if (!this.#admin.auth.mayAccessKey(credentials, request.method, request.key, request.recursive)) {
        // etcd answers refused credentials before touching the store (v2http writeKeyNoAuth).
        return Promise.resolve(
          errorAnswer(new StoreFailure(110, 'Insufficient credentials', 0), this.clusterId),
        );
      }
      const answer = this.#respond(request, now, signal);
      return answer instanceof Promise ? answer : Promise.resolve(answer);
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
    this.#admin = new MockAdmin(this.clusterId);
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

  #respond(
    request: KeyRequest,
    now: number,
    signal: AbortLike | undefined,
  ): MockAnswer | Promise<MockAnswer> {
    try {
      if (request.method === 'GET') {
        if (request.wait) return this.#wait(request.key, request.recursive, request.waitIndex, signal);
        if (request.quorum) this.#raftIndex++;
        const event = this.#store.get(request.key, request.recursive, request.sorted, now);
        this.#admin.stats.record(request, true);
        return eventAnswer(event, this.#store.currentIndex, this.#context());
      }
      this.#raftIndex++;
      const event = applyWrite(this.#store, request, now);
      this.#admin.stats.record(request, true);
      return eventAnswer(event, this.#store.currentIndex, this.#context(), false, request.noValueOnSuccess);
    } catch (error) {
      if (error instanceof StoreFailure) {
        this.#admin.stats.record(request, false);
        return errorAnswer(error, this.clusterId);
      }
      throw error;
    }
  }

  #wait(
    key: string,
    recursive: boolean,
    waitIndex: number,
    signal?: AbortLike,
  ): MockAnswer | Promise<MockAnswer> {
    const context = this.#context();
    const startIndex = this.#store.currentIndex;
    const answer = (event: StoreEvent) => eventAnswer(event, startIndex, context, true);
    let settle: ((answer: MockAnswer) => void) | undefined;
    const outcome = this.#store.watch(key, recursive, waitIndex, (event) => settle?.(answer(event)));
    if ('event' in outcome) return answer(outcome.event);
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
      settle = (reply) => {
        finish();
        resolve(reply);
      };
      this.#pending.add(pending);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #rejectWaits(reason: Error): void {
    this.#store.hub.drain();
    for (const wait of [...this.#pending]) wait.reject(reason);
  }

  /**
   * Expires every node whose expiration is at or before `now` (one `expire` event and index each);
   * nothing while closed or while expiry is paused.
   */
  #sweep(now = Date.now(), late = false): void {
    if (this.#closed || this.#expiryPaused) return;
    const expired = this.#store.deleteExpired(now, late).length;
    if (expired > 0) {
      this.#raftIndex++;
      this.#admin.stats.expired(expired);
    }
  }

  /**
   * Keeps exactly one timer armed for the earliest expiration; none when closed, while expiry is
   * paused, or when no TTL exists.
   */
  #arm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const next = this.#closed || this.#expiryPaused ? undefined : this.#store.ttlKeys.top();
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

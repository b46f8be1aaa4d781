import type { EtcdResult } from './results.js';

/** What every call may carry: a timeout in milliseconds and an `AbortSignal`. */
export interface CallOptions {
  /**
   * Milliseconds the whole call may take before it rejects with `TimedOut` (a write: with
   * `OutcomeUnknown` caused by it, since it may have been applied). 0 or less: the deadline has
   * already passed, so the call rejects with `TimedOut` at once and nothing is sent; beyond
   * 2^31 - 1 (about 24.8 days) or `Infinity`: no limit; `NaN`: a `TypeError`. When absent, the
   * adapter's default timeout applies, except to waits.
   */
  timeout?: number | undefined;
  /** Aborting rejects the call with the signal's reason. */
  signal?: AbortSignal | undefined;
}

/** A read, or a wait for the next change (`wait: true`). The key is normalised (`normalizeKey`). */
export interface GetRequest extends CallOptions {
  key: string;
  recursive?: boolean | undefined;
  sorted?: boolean | undefined;
  quorum?: boolean | undefined;
  wait?: boolean | undefined;
  /** With `wait`: answer the first matching event at or after this index. */
  waitIndex?: number | undefined;
}

/** A PUT: set, create (`prevExist: false`), update (`prevExist: true`), compare-and-swap, refresh. */
export interface SetRequest extends CallOptions {
  key: string;
  value?: string | undefined;
  dir?: boolean | undefined;
  /** Seconds. */
  ttl?: number | undefined;
  refresh?: boolean | undefined;
  prevValue?: string | undefined;
  prevIndex?: number | undefined;
  prevExist?: boolean | undefined;
}

/** A POST: an in-order key created inside `key`. */
export interface AppendRequest extends CallOptions {
  key: string;
  value?: string | undefined;
  dir?: boolean | undefined;
  /** Seconds. */
  ttl?: number | undefined;
}

/** A DELETE, or a compare-and-delete when `prevValue`/`prevIndex` is given. */
export interface DeleteRequest extends CallOptions {
  key: string;
  dir?: boolean | undefined;
  recursive?: boolean | undefined;
  prevValue?: string | undefined;
  prevIndex?: number | undefined;
}

/**
 * The seam between `Client` and a server: the etcd v2 keys API with typed requests. An adapter
 * resolves with the result class of etcd's action and rejects with the error classes of
 * `@etc/protocol` (an etcd error, `ConnectionError`, `TimedOut`, `HTTPError`, or the signal's
 * reason on abort).
 */
export interface Adapter {
  /** The first endpoint, e.g. `http://127.0.0.1:2379`. */
  readonly url: string;
  /**
   * Reads a key (or waits for its next change with `wait`); resolves with a `Got` or the event's
   * result, rejects with the error class of the answer.
   */
  get(request: GetRequest): Promise<EtcdResult>;
  /** Writes a key (a PUT): set, create, update, compare-and-swap or refresh, by the request's fields. */
  set(request: SetRequest): Promise<EtcdResult>;
  /** Creates an in-order key inside `key` (a POST); resolves with `Created`. */
  append(request: AppendRequest): Promise<EtcdResult>;
  /** Deletes a key or directory, optionally compare-and-delete. */
  delete(request: DeleteRequest): Promise<EtcdResult>;
  /** Releases connections, timers and pending waits (they reject). Idempotent. */
  close(): Promise<void>;
}

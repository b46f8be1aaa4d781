import {
  ClientClosed,
  ClusterMismatch,
  ConnectionError,
  EtcdError,
  HTTPError,
  InvalidResponse,
  OutcomeUnknown,
  TimedOut,
} from '../errors.js';

/**
 * What a failure says about trying again, for every adapter, the watch and `@etc/sugar`:
 *
 * - `unavailable`: the server answered that it cannot serve now (etcd 300 or 301, any 5xx);
 * - `network`: the exchange broke or timed out (a `ConnectionError`); for a write it was certainly
 *   not sent, since a write that may have been sent is `outcome-unknown`;
 * - `outcome-unknown`: a write that may or may not have been applied (`OutcomeUnknown`);
 * - `garbled`: a 2xx answer that is not etcd's (`InvalidResponse`);
 * - `mismatch`: a member of another cluster (`ClusterMismatch`);
 * - `closed`: the client was closed (`ClientClosed`);
 * - `final`: anything else (an etcd error such as `KeyNotFound`, a 4xx, an abort reason).
 */
export type FailureKind =
  | 'unavailable'
  | 'network'
  | 'outcome-unknown'
  | 'garbled'
  | 'mismatch'
  | 'closed'
  | 'final';

/** The kind of a failure (see `FailureKind`). */
export function classifyFailure(error: unknown): FailureKind {
  if (error instanceof ClientClosed) return 'closed';
  if (error instanceof OutcomeUnknown) return 'outcome-unknown';
  if (error instanceof ConnectionError) return 'network';
  if (error instanceof ClusterMismatch) return 'mismatch';
  if (error instanceof InvalidResponse) return 'garbled';
  if (error instanceof HTTPError) return error.statusCode >= 500 ? 'unavailable' : 'final';
  if (error instanceof EtcdError)
    return error.errorCode === 300 || error.errorCode === 301 ? 'unavailable' : 'final';
  return 'final';
}

/** True for an answer that says the member cannot serve right now: etcd 300/301 or any 5xx. */
export function isUnavailable(error: unknown): boolean {
  return classifyFailure(error) === 'unavailable';
}

/**
 * True when a call that failed with `error` may safely be sent again, to the same member later or
 * to another one: a read or wait after any network failure, 5xx, garbled answer or other cluster;
 * a write only when it certainly never reached a server (refused, or failed before sending) or
 * reached a member of another cluster. A write that may have been applied (`OutcomeUnknown`, a
 * `TimedOut` waiting for its answer) or that got a 5xx (etcd may still apply it) is never retried
 * as if it were safe; neither is anything after `close()`.
 */
export function mayRetry(error: unknown, write: boolean): boolean {
  switch (classifyFailure(error)) {
    case 'mismatch':
      return true;
    case 'network':
      return !write || !(error instanceof TimedOut);
    case 'unavailable':
    case 'garbled':
      return !write;
    default:
      return false;
  }
}

/** The one backoff policy: the first pause ceiling and the largest, in milliseconds. */
export interface BackoffOptions {
  /** The ceiling of the first pause (default 50 ms). */
  base?: number | undefined;
  /** The largest ceiling (default 5,000 ms). */
  cap?: number | undefined;
}

/**
 * The pause before retry number `failures` (0 for the first retry), in milliseconds: jittered
 * between half and all of `min(cap, base · 2^failures)`, so clients that failed together do not
 * come back together.
 */
export function backoff(failures: number, options?: BackoffOptions): number {
  const base = options?.base ?? 50;
  const cap = options?.cap ?? 5_000;
  const ceiling = Math.min(cap, base * 2 ** Math.min(Math.max(0, failures), 30));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

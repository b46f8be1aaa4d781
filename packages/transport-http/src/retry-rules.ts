import { ClusterMismatch, ConnectionError, OutcomeUnknown, type WireResponse } from '@etc/protocol';

/**
 * The written failover rules (see the README): whether a failed attempt may be repeated on another
 * member. Any call may move on when the member certainly never got the request (refused, or failed
 * before sending: a `ConnectionError` that is not `OutcomeUnknown`, as `connectionFailure` maps it
 * for writes) or belongs to another cluster (`ClusterMismatch`: it is not a member of ours). A read
 * or wait may also move on after any other `ConnectionError`, a broken or timed-out attempt
 * included. A write that may have reached the member (`OutcomeUnknown`) never moves on.
 */
export function mayRetryElsewhere(error: unknown, write: boolean): boolean {
  if (error instanceof ClusterMismatch) return true;
  if (!(error instanceof ConnectionError)) return false;
  return !write || !(error instanceof OutcomeUnknown);
}

/**
 * True for an answer that says the member cannot serve right now: any 5xx, which covers etcd's
 * error 300 "Raft Internal Error" (request timed out, proposal dropped during an election, leader
 * changed; HTTP 500) and 301, and a proxy's 502/503/504. A read or wait that gets one moves on to
 * another member. A write does not: etcd may still apply it (a timed-out proposal can commit later),
 * so it is answered with the error as it is.
 */
export function isUnhealthy(response: WireResponse): boolean {
  return response.status >= 500;
}

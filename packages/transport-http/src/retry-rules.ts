import {
  ClusterMismatch,
  ConnectionError,
  ConnectionRefused,
  OutcomeUnknown,
  TimedOut,
  type WireResponse,
} from '@etc/protocol';

/**
 * The written failover rules (see the README): whether a failed attempt may be repeated on another
 * member. Any call may move on when the member certainly never got the request (refused, or failed
 * before sending: a `ConnectionError` that is not `OutcomeUnknown`, as `connectionFailure` maps it
 * for writes) or belongs to another cluster (`ClusterMismatch`: it is not a member of ours). A read
 * or wait may also move on after any other `ConnectionError`, a broken or timed-out attempt
 * included. A write that may have reached the member (`OutcomeUnknown`, or `TimedOut` waiting for
 * the answer) never moves on.
 */
export function mayRetryElsewhere(error: unknown, write: boolean): boolean {
  if (error instanceof ClusterMismatch) return true;
  if (!(error instanceof ConnectionError)) return false;
  // A write that timed out (a light call's default timeout, enforced by undici) was sent.
  return !write || !(error instanceof OutcomeUnknown || error instanceof TimedOut);
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

/** Codes of a connection the other side closed or reset (undici's `SocketError` is `UND_ERR_SOCKET`). */
const closedCodes: ReadonlySet<string> = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

/**
 * True when a read may be sent once more to the same member: its connection was closed or reset by
 * the other side. That is what a keep-alive connection looks like when the server closed it while
 * idle just as the request went out (undici checks an idle socket before reusing it, but cannot see
 * a close that crosses the request on the wire); a fresh connection then answers. Go's
 * `http.Transport`, and so etcd's own v2 client, retries a GET in the same case. Never for a write:
 * the member may have applied it before closing (`OutcomeUnknown`).
 */
export function mayRetrySameMember(error: unknown, write: boolean): boolean {
  if (write || !(error instanceof ConnectionError) || error instanceof ConnectionRefused) return false;
  const code = (error.cause as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && closedCodes.has(code);
}

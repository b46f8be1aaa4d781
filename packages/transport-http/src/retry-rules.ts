import { ConnectionError, ConnectionRefused } from '@etc/protocol';

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

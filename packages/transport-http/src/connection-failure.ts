import { ConnectionError, ConnectionRefused, OutcomeUnknown } from '@etc/protocol';

/**
 * Error codes that mean the request never left this process, when the connector did not already
 * mark the error (see `Endpoint`): the connection was never made, or undici rejected the request
 * before writing it.
 */
const notSentCodes: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_INVALID_ARG',
  // A pool already closed (a member dropped by sync()) refuses the request before sending it.
  'UND_ERR_CLOSED',
  'UND_ERR_NOT_SUPPORTED',
]);

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isRefused(error: unknown): boolean {
  if (codeOf(error) === 'ECONNREFUSED') return true;
  // Happy eyeballs (several addresses tried) reports an AggregateError of the attempts.
  return (
    error instanceof AggregateError &&
    error.errors.length > 0 &&
    error.errors.every((inner) => codeOf(inner) === 'ECONNREFUSED')
  );
}

function detail(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = codeOf(error);
  const message = error.message || error.name;
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

/**
 * Maps an error of one HTTP exchange to the error the caller sees. `notSent` holds the errors the
 * connector reported (the request certainly never left). A refused connection is
 * `ConnectionRefused`; a write that may have been sent before the failure is `OutcomeUnknown`;
 * anything else is a `ConnectionError`. The original error is the `cause`.
 */
export function connectionFailure(
  error: unknown,
  endpoint: string,
  method: string,
  write: boolean,
  notSent: WeakSet<object>,
): ConnectionError {
  const options = { cause: error, endpoint };
  if (isRefused(error)) return new ConnectionRefused(`connection refused by ${endpoint}`, options);
  const code = codeOf(error);
  const sent = !(
    (typeof error === 'object' && error !== null && notSent.has(error)) ||
    (code !== undefined && notSentCodes.has(code))
  );
  if (write && sent) {
    return new OutcomeUnknown(
      `the connection to ${endpoint} failed after the ${method} request may have been sent, so it ` +
        `may or may not have been applied: ${detail(error)}`,
      options,
    );
  }
  const where = sent ? `the connection to ${endpoint} failed` : `cannot connect to ${endpoint}`;
  return new ConnectionError(`${where}: ${detail(error)}`, options);
}

import { AdminError, ConnectionError, EtcdError, EtcException, HTTPError, OutcomeUnknown } from '@etc/client';
import { CliError } from './cli-error.js';
import { ExitCode } from './exit-codes.js';

/**
 * How a command reports an error, as etcdctl v2 did: `keys` commands through `handleError`
 * (`Error:  100: Key not found (/a) [12]`, exit 4), administration commands (`member`, `user`,
 * `role`, `auth`) with etcd's message alone and exit 1.
 */
export type ReportStyle = 'keys' | 'admin';

/** The stderr lines and exit status for an error a command ended with; never a stack trace. */
export function report(error: unknown, style: ReportStyle): CliError {
  if (error instanceof CliError) return error;
  // The error classes' brand-based `instanceof` does not narrow in TypeScript: hence the casts.
  if (error instanceof OutcomeUnknown) {
    const { message } = error as OutcomeUnknown;
    return new CliError(
      ExitCode.badConnection,
      `Error:  client: the connection broke after the request was sent; it may or may not have been applied (${message})`,
    );
  }
  if (error instanceof ConnectionError) {
    const { message } = error as ConnectionError;
    return new CliError(
      ExitCode.badConnection,
      `Error:  client: etcd cluster is unavailable or misconfigured; ${message}`,
    );
  }
  if (error instanceof EtcdError) {
    const etcdError = error as EtcdError;
    if (style === 'admin') return new CliError(ExitCode.badArgs, etcdError.cause || etcdError.message);
    return new CliError(
      ExitCode.serverError,
      `Error:  ${etcdError.errorCode}: ${etcdError.message} (${etcdError.cause ?? ''}) [${etcdError.index}]`,
    );
  }
  if (error instanceof AdminError) return new CliError(ExitCode.badArgs, (error as AdminError).message);
  if (error instanceof HTTPError) {
    const { message, body, statusCode } = error as HTTPError;
    // etcd's own refusals outside the keys API carry {"message": ...} (e.g. a member change while
    // the cluster is not ready: HTTP 500, "etcdserver: unhealthy cluster").
    const said = etcdMessage(body);
    if (style === 'admin') return new CliError(ExitCode.badArgs, said ?? `Error:  ${message}`);
    return new CliError(
      ExitCode.serverError,
      `Error:  ${said === undefined ? message : `${statusCode}: ${said}`}`,
    );
  }
  if (error instanceof EtcException || error instanceof TypeError) {
    return new CliError(ExitCode.badArgs, `Error:  ${(error as Error).message}`);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new CliError(ExitCode.badArgs, `Error:  ${message}`);
}

/** The `message` of a JSON error body etcd sent, if that is what the body is. */
function etcdMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    return typeof parsed.message === 'string' && parsed.message !== '' ? parsed.message : undefined;
  } catch {
    return undefined;
  }
}

/**
 * etcctl's exit statuses, etcdctl v2's (`etcdctl/ctlv2/command/error.go`): a script can tell bad
 * usage from an unreachable cluster from an error etcd answered. A signal that ends etcctl makes
 * the status 128 + its number instead (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP: see
 * `interrupted.ts`); a closed pipe on stdout or stderr makes it 141 (`brokenPipe`).
 */
export const ExitCode = {
  /** The command did what it was asked. */
  success: 0,
  /** Bad usage (a missing argument, a bad flag value), or an administration request etcd refused. */
  badArgs: 1,
  /** No member answered: refused, unreachable, or timed out. */
  badConnection: 2,
  /** An unknown command (etcdctl v2 exits with 3 there too). */
  unknownCommand: 3,
  /** etcd answered with an error (`Error:  100: Key not found (/a) [12]`). */
  serverError: 4,
  /** `cluster-health`: some member is not healthy. */
  clusterNotHealthy: 5,
  /** `migrate`: the tree read back from the v3 keyspace differs from the v2 snapshot. */
  verifyFailed: 6,
  /** `migrate` stopped by SIGHUP after the transaction in flight (128 + 1, as a shell shows it). */
  hangup: 129,
  /** `migrate` stopped by Ctrl+C (SIGINT) after the transaction in flight (128 + 2). */
  interrupted: 130,
  /** `migrate` stopped by SIGTERM after the transaction in flight (128 + 15). */
  terminated: 143,
  /**
   * A write to stdout or stderr found the pipe closed by its reader (EPIPE: `etcctl ls | head -1`).
   * etcctl stops, silently, as SIGPIPE ended etcdctl v2; a shell shows 141 (128 + 13) for both.
   */
  brokenPipe: 141,
} as const;

/** One of etcctl's exit statuses. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

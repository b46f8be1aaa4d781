/**
 * etcctl's exit statuses, etcdctl v2's (`etcdctl/ctlv2/command/error.go`): a script can tell bad
 * usage from an unreachable cluster from an error etcd answered.
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
  /** Ended by Ctrl+C (SIGINT), 128 + 2 as a shell shows it (`watch` and `exec-watch` end with 0 instead). */
  interrupted: 130,
  /** `migrate` ended by SIGTERM after the transaction in flight, 128 + 15 as a shell shows it. */
  terminated: 143,
} as const;

/** One of etcctl's exit statuses. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

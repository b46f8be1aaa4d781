import type { Readable, Writable } from 'node:stream';

/** What a run of etcctl reads and writes: the process's streams and environment, or a test's. */
export interface Io {
  /** Where results go. */
  stdout: Writable;
  /** Where errors, prompts and `exec-watch`'s notes go. */
  stderr: Writable;
  /**
   * Values of `set`/`mk`/`update` when not given, and passwords. When `isTTY` is true a password is
   * asked for with a prompt and without echo; otherwise the first line is read.
   */
  stdin: Readable & { isTTY?: boolean | undefined };
  /** `ETCDCTL_*` settings, and the environment of `exec-watch`'s commands. */
  env: Readonly<Record<string, string | undefined>>;
}

import type { Readable, Writable } from 'node:stream';

/**
 * What a run of etcctl reads and writes: the process's streams and environment, or a test's.
 * `stdin.isTTY` decides whether a password is asked for on a terminal (without echo).
 */
export interface Io {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable & { isTTY?: boolean | undefined; setRawMode?: ((mode: boolean) => unknown) | undefined };
  env: Readonly<Record<string, string | undefined>>;
}

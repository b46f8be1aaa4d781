import { getSystemErrorMap } from 'node:util';

/** stdout or stderr: where etcctl writes. */
export type OutputName = 'stdout' | 'stderr';

/**
 * Why a run stopped: a write to stdout or stderr failed. `EPIPE` when the reader of a pipe closed
 * it (`etcctl ls --recursive | head -1`); other codes (`EBADF`, `ENOSPC`, `EIO`) for an output that
 * cannot be written at all. The reason of the stop signal a command gets (`Context.signal`).
 */
export class OutputLost extends Error {
  /** The output that failed. */
  readonly output: OutputName;
  /** The system's code for the failure (`EPIPE`, `EBADF`...), else Node's (`ERR_STREAM_DESTROYED`). */
  readonly code: string;

  constructor(output: OutputName, error: unknown) {
    const { code, errno } = (error ?? {}) as { code?: unknown; errno?: unknown };
    const said = typeof errno === 'number' ? getSystemErrorMap().get(errno)?.[1] : undefined;
    // Go's words for it, as etcdctl v2 would have said it: `write /dev/stdout: bad file descriptor`.
    super(`write /dev/${output}: ${said ?? (error instanceof Error ? error.message : String(error))}`);
    this.name = 'OutputLost';
    this.output = output;
    this.code = typeof code === 'string' ? code : 'EIO';
  }

  /** Whether the reader closed the pipe (EPIPE): what SIGPIPE silently ended etcdctl v2 for. */
  get brokenPipe(): boolean {
    return this.code === 'EPIPE';
  }
}

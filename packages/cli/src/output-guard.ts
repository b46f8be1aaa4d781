import type { Readable, Writable } from 'node:stream';
import type { Io } from './io.js';
import { OutputLost, type OutputName } from './output-lost.js';

const outputs: readonly OutputName[] = ['stdout', 'stderr'];

/**
 * A run's stdout and stderr, watched for write errors: the first failed write (EPIPE when the
 * reader closed the pipe, EBADF, ENOSPC...) is kept as an `OutputLost` and aborts `signal`, which
 * ends a watch as an interrupt does; what is written to that output afterwards is dropped. Nothing
 * a failed write does becomes an unhandled `'error'` event, also for writes made straight to the
 * streams (commander's help, the password prompt, the progress bar): the guard listens for the
 * streams' errors from its construction on, and does not stop listening.
 */
export class OutputGuard {
  readonly #io: Io;
  readonly #stop = new AbortController();
  readonly #lost = new Map<OutputName, OutputLost>();
  #first: OutputLost | undefined;
  /** Who waits for an output to drain (or to fail): forwarded sources that paused, `flush()`. */
  readonly #waiting: Record<OutputName, Set<() => void>> = { stdout: new Set(), stderr: new Set() };

  constructor(io: Io) {
    this.#io = io;
    for (const name of outputs) {
      io[name].on('error', (error: unknown) => this.#lose(name, error));
      io[name].on('drain', () => this.#wake(name));
    }
  }

  /** Aborted at the first failed write, with its `OutputLost` as the reason. */
  get signal(): AbortSignal {
    return this.#stop.signal;
  }

  /** The first failed write, if one failed. */
  get lost(): OutputLost | undefined {
    return this.#first;
  }

  /**
   * Writes `chunk` to the output unless a write to it failed before (then drops it). Returns
   * `false` when the stream asks the writer to wait for `'drain'`, as `Writable.write` does.
   */
  write(name: OutputName, chunk: string | Uint8Array): boolean {
    if (this.#lost.has(name)) return true;
    try {
      return this.#io[name].write(chunk, (error?: Error | null) => {
        if (error) this.#lose(name, error);
      });
    } catch (error) {
      this.#lose(name, error);
      return true;
    }
  }

  /**
   * Copies what `from` reads to the output, pausing `from` while the output is full. Once the output
   * is lost, `from` is still read to its end (and what it reads dropped): a child process whose
   * output nobody reads any more can still exit and be seen to.
   */
  forward(from: Readable, name: OutputName): void {
    from.on('data', (chunk: string | Uint8Array) => {
      if (this.write(name, chunk)) return;
      from.pause();
      this.#waiting[name].add(() => from.resume());
    });
  }

  /**
   * Resolves once what was written is written or has failed (a failure is then in `lost`). A stream
   * that never takes what it was given (a test's stream nobody reads) keeps it waiting.
   */
  async flush(): Promise<void> {
    await Promise.all(
      outputs.map(
        (name) =>
          new Promise<void>((resolve) => {
            const stream: Writable = this.#io[name];
            // A write that failed synchronously reports it on the next tick: `errored` has it now.
            if (stream.errored) this.#lose(name, stream.errored);
            if (this.#lost.has(name) || stream.writableLength === 0) {
              resolve();
              return;
            }
            const done = () => {
              this.#waiting[name].delete(done);
              resolve();
            };
            this.#waiting[name].add(done);
            try {
              // Its callback comes after those of every write before it.
              stream.write('', (error?: Error | null) => {
                if (error) this.#lose(name, error);
                done();
              });
            } catch (error) {
              this.#lose(name, error);
            }
          }),
      ),
    );
  }

  #lose(name: OutputName, error: unknown): void {
    if (!this.#lost.has(name)) {
      // A write after the failure reports ERR_STREAM_DESTROYED; the stream keeps the real cause.
      const lost = new OutputLost(name, this.#io[name].errored ?? error);
      this.#lost.set(name, lost);
      this.#first ??= lost;
      this.#stop.abort(lost);
    }
    this.#wake(name);
  }

  #wake(name: OutputName): void {
    const waiting = [...this.#waiting[name]];
    this.#waiting[name].clear();
    for (const resume of waiting) resume();
  }
}

import type { Readable } from 'node:stream';
import type { Client } from '@etc/client';
import type { Command } from 'commander';
import { makeClient } from './client-factory.js';
import { type Globals, type RawGlobals, resolveGlobals } from './globals.js';
import type { Io } from './io.js';
import type { OutputGuard } from './output-guard.js';
import type { OutputName } from './output-lost.js';
import type { ReportStyle } from './report.js';

/** What a command's action works with: the streams, the global flags, a lazily made client. */
export class Context {
  readonly io: Io;
  /** The arguments etcctl was run with (after the program name), as given. */
  readonly argv: readonly string[];
  /**
   * Aborted when the process is told to stop (SIGINT, SIGTERM, SIGHUP; the reason an
   * `Interrupted`) or when a write to stdout or stderr fails (the reader closed the pipe: the reason
   * an `OutputLost`): `watch`, `exec-watch`, `cluster-health --forever` and `migrate` then stop.
   */
  readonly signal: AbortSignal;
  /** Aborted by a second signal: `exec-watch` then kills the command it waits for. */
  readonly force: AbortSignal;
  /** How the running command reports errors. */
  style: ReportStyle = 'keys';
  #program: Command;
  #globals: Globals | undefined;
  #client: Client | undefined;
  #others: Client[] = [];
  readonly #outputs: OutputGuard;

  readonly #onWatch: (() => void) | undefined;

  constructor(
    program: Command,
    io: Io,
    outputs: OutputGuard,
    stops: { signal: AbortSignal; force: AbortSignal; onWatch?: (() => void) | undefined },
    argv: readonly string[] = [],
  ) {
    this.#program = program;
    this.io = io;
    this.#outputs = outputs;
    this.argv = argv;
    this.signal = stops.signal;
    this.force = stops.force;
    this.#onWatch = stops.onWatch;
  }

  /** Says that the command now runs until `signal` ends it (`watch`, `exec-watch`, `--forever`). */
  watching(): void {
    this.#onWatch?.();
  }

  /** The global flags, checked (a `CliError` for a bad one). */
  get globals(): Globals {
    if (this.#globals === undefined) {
      const raw = this.#program.opts<RawGlobals & { caFile?: string; certFile?: string; keyFile?: string }>();
      this.#globals = resolveGlobals(
        {
          ...raw,
          cacert: raw.cacert ?? raw.caFile,
          cert: raw.cert ?? raw.certFile,
          key: raw.key ?? raw.keyFile,
        } as RawGlobals,
        this.io,
      );
    }
    return this.#globals;
  }

  /** The client for the global flags, made on first use (closed by `close()`). */
  async client(): Promise<Client> {
    this.#client ??= await makeClient(this.globals, this.io);
    return this.#client;
  }

  /** A client of these endpoints with the global flags' TLS, credentials and timeouts (closed by `close()`). */
  async clientFor(endpoints: readonly string[]): Promise<Client> {
    const client = await makeClient(this.globals, this.io, endpoints);
    this.#others.push(client);
    return client;
  }

  /**
   * Writes lines to stdout, each ended by a newline. Never throws: a failed write stops the run
   * through `signal` (and sets its exit status); once stdout has failed, lines are dropped.
   */
  print(lines: readonly string[]): void {
    if (lines.length > 0) this.#outputs.write('stdout', `${lines.join('\n')}\n`);
  }

  /** Writes lines to stderr, as `print` writes to stdout. */
  warn(lines: readonly string[]): void {
    if (lines.length > 0) this.#outputs.write('stderr', `${lines.join('\n')}\n`);
  }

  /** Copies what `from` reads (a child process's output) to stdout or stderr, as `print` writes. */
  forward(from: Readable, to: OutputName): void {
    this.#outputs.forward(from, to);
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    const others = this.#others.splice(0);
    await Promise.all([client?.close(), ...others.map((other) => other.close())]);
  }
}

/** Runs a command's action with the context of the run; failures are kept for the report. */
export type Runner = (action: (ctx: Context) => Promise<void>) => Promise<void>;

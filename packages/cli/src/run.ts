import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { addAuthCommands } from './commands/auth.js';
import { addKeyCommands } from './commands/keys.js';
import { addMemberCommands } from './commands/member.js';
import { addMigrateCommand } from './commands/migrate.js';
import { addWatchCommands } from './commands/watch.js';
import { Context, type Runner } from './context.js';
import { ExitCode } from './exit-codes.js';
import type { Io } from './io.js';
import { OutputGuard } from './output-guard.js';
import { report } from './report.js';

/** etcctl's own version, from its package.json (one level above both `src/` and `dist/`). */
function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version?: string;
  };
  return manifest.version ?? '0.0.0';
}

/** Options of `run()`. */
export interface RunOptions {
  /**
   * Aborting it stops `watch`, `exec-watch` and `cluster-health --forever` (main.ts: on SIGINT,
   * SIGTERM or SIGHUP, with an `Interrupted` reason). `run()` then resolves with the command's own
   * status (0); main.ts exits with the signal's.
   */
  signal?: AbortSignal | undefined;
  /** Aborting it (after `signal`) kills the command `exec-watch` is waiting for (SIGKILL). */
  force?: AbortSignal | undefined;
  /** Called when a command starts that `signal` ends (a watch): until then an interrupt may simply exit. */
  onWatch?: (() => void) | undefined;
}

/** What commander would have printed for a usage error (run() prints it, or etcdctl v2's line). */
interface UsageErrorText {
  text: string;
  /** The help commander shows when a command is missing (`etcctl`, `etcctl user`). */
  help: string;
}

function program(outputs: OutputGuard, usageError: UsageErrorText): Command {
  const root = new Command('etcctl')
    .description("A simple command line client for etcd's v2 API (etcdctl v2's commands).")
    .usage('[global options] command [command options] [arguments...]')
    .version(`etcctl version: ${version()}\nAPI version: 2`, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'Shows a list of commands or help for one command')
    .option(
      '--endpoints <urls>',
      'a comma-delimited list of machine addresses in the cluster (default: ETCDCTL_ENDPOINTS, else "http://127.0.0.1:2379")',
    )
    .addOption(
      new Option('--endpoint <urls>', 'DEPRECATED - "--endpoints" should be used instead').hideHelp(),
    )
    .option('-C, --peers <urls>', 'DEPRECATED - "--endpoints" should be used instead')
    .option('--cacert <file>', 'verify certificates of HTTPS-enabled servers using this CA bundle')
    .option('--cert <file>', 'identify HTTPS client using this SSL certificate file')
    .option('--key <file>', 'identify HTTPS client using this SSL key file')
    .addOption(new Option('--ca-file <file>', 'the same as --cacert (etcdctl v2)').hideHelp())
    .addOption(new Option('--cert-file <file>', 'the same as --cert (etcdctl v2)').hideHelp())
    .addOption(new Option('--key-file <file>', 'the same as --key (etcdctl v2)').hideHelp())
    .option(
      '-u, --username <user[:password]>',
      'provide username[:password] and prompt if password is not supplied (default: ETCDCTL_USERNAME)',
    )
    .option(
      '--timeout <duration>',
      'connection timeout per request: 2s, 500ms, 1m30s, or milliseconds (default: 2s)',
    )
    .option('--total-timeout <duration>', 'timeout for the command execution (except watch) (default: 5s)')
    .option(
      '-o, --output <format>',
      'output response in the given format (simple, extended or json)',
      'simple',
    )
    .option('--api <version>', 'the etcd API: v2, or v3 through @etc/transport-v3', 'v2')
    .option('--prefix <prefix>', 'with --api v3: where the v2 tree lives in the v3 keyspace')
    .option(
      '--no-sync',
      "accepted for etcdctl v2's sake: etcctl never replaces --endpoints by the member list",
    )
    .exitOverride()
    .configureOutput({
      writeOut: (text) => outputs.write('stdout', text),
      // Only help shown for a missing command goes here (errors go to outputError): run() prints
      // it on stdout, with status 0, as etcdctl v2 did.
      writeErr: (text) => {
        usageError.help += text;
      },
      outputError: (text) => {
        usageError.text += text;
      },
    })
    .showSuggestionAfterError(true);
  return root;
}

/**
 * Runs etcctl with `argv` (the arguments after the program name) on `io`; resolves with the exit
 * status once what it wrote is written. Never throws and never prints a stack trace: every failure
 * is one line (or etcdctl v2's few) on `io.stderr` and a status of `ExitCode`. A write to
 * `io.stdout` or `io.stderr` that fails stops the command as an interrupt does (a request in flight
 * completes, a watch ends) and decides the status: `ExitCode.brokenPipe` (141), silently, when the
 * reader closed the pipe (EPIPE), as SIGPIPE ended etcdctl v2; for any other failure (EBADF,
 * ENOSPC...) `Error:  write /dev/stdout: bad file descriptor` on stderr and status 1.
 */
export async function run(argv: readonly string[], io: Io, options: RunOptions = {}): Promise<number> {
  const outputs = new OutputGuard(io);
  const status = await runCommand(argv, io, outputs, options);
  await outputs.flush();
  const lost = outputs.lost;
  if (lost === undefined) return status;
  if (lost.brokenPipe) return ExitCode.brokenPipe;
  outputs.write('stderr', `Error:  ${lost.message}\n`);
  await outputs.flush();
  return ExitCode.badArgs;
}

/** `run()` up to its status, with its writes made through `outputs`. */
async function runCommand(
  argv: readonly string[],
  io: Io,
  outputs: OutputGuard,
  options: RunOptions,
): Promise<number> {
  const signal = AbortSignal.any([options.signal ?? new AbortController().signal, outputs.signal]);
  const usageError: UsageErrorText = { text: '', help: '' };
  const root = program(outputs, usageError);
  const ctx = new Context(
    root,
    io,
    outputs,
    {
      signal,
      force: options.force ?? new AbortController().signal,
      onWatch: options.onWatch,
    },
    argv,
  );
  let failure: unknown;
  // commander awaits the promise an action returns; errors are kept for the report below.
  const action: Runner = (work) =>
    work(ctx).catch((error: unknown) => {
      failure = error;
    });
  addKeyCommands(root, action);
  addWatchCommands(root, action);
  addMemberCommands(root, action);
  addAuthCommands(root, action);
  addMigrateCommand(root, action);
  for (const command of [...root.commands, ...root.commands.flatMap((c) => c.commands)]) {
    command.exitOverride();
    // Arguments are optional to commander so that a missing one gets etcdctl v2's message and
    // status; help shows them as etcdctl v2 did (`ls [key]` is the one optional key).
    if (command.name() !== 'ls') command.usage(command.usage().replace(/\[(?!options\])(\w+)\]/g, '<$1>'));
  }
  try {
    await root.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version')
        return ExitCode.success;
      if (error.code === 'commander.help') {
        outputs.write('stdout', usageError.help);
        return ExitCode.success;
      }
      outputs.write('stderr', goFlagError(error, usageError.text, argv));
      if (error.code === 'commander.unknownCommand') return ExitCode.unknownCommand;
      return error.exitCode === 0 ? ExitCode.success : ExitCode.badArgs;
    }
    failure = error;
  } finally {
    await ctx.close().catch(() => {});
  }
  if (failure === undefined) return ExitCode.success;
  const reported = report(failure, ctx.style);
  if (reported.lines.length > 0) outputs.write('stderr', `${reported.lines.join('\n')}\n`);
  return reported.exitCode;
}

/**
 * The stderr line of a usage error: an unknown flag and a flag without its value get the line Go's
 * flag package printed for etcdctl v2 (`flag provided but not defined: -frob`, `flag needs an
 * argument: -o`, the flag named as it was typed, with one dash); the rest keep commander's words.
 * etcdctl v2 also printed the command's help on stdout after these: etcctl does not.
 */
function goFlagError(error: CommanderError, text: string, argv: readonly string[]): string {
  if (error.code === 'commander.unknownOption') {
    const typed = /unknown option '([^']+)'/.exec(error.message)?.[1];
    if (typed !== undefined)
      return `flag provided but not defined: -${typed.replace(/^-+/, '').split('=')[0]}\n`;
  }
  if (error.code === 'commander.optionMissingArgument') {
    const flags = /option '([^']+)'/.exec(error.message)?.[1];
    if (flags !== undefined) {
      const forms = flags.split(/[ ,|]+/).filter((form) => form.startsWith('-'));
      const typed = [...argv].reverse().find((arg) => forms.includes(arg)) ?? forms.at(-1) ?? flags;
      return `flag needs an argument: -${typed.replace(/^-+/, '')}\n`;
    }
  }
  return text;
}

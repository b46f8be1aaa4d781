import { spawn } from 'node:child_process';
import type { EtcdResult } from '@etc/client';
import type { Command } from 'commander';
import { CliError, usage } from '../cli-error.js';
import type { Context, Runner } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { Interrupted } from '../interrupted.js';
import { responseLines } from '../output.js';
import { integer } from './parse.js';

/**
 * Waits for the changes of `key` as etcdctl v2's watcher did: from `afterIndex + 1` when given
 * (else from now), each next wait from the last event's `modifiedIndex + 1`, so no change is missed
 * or seen twice; a history etcd has cleared is etcd's error 401. Calls `onEvent` for each change
 * until it returns `false` or the run is interrupted (then it resolves).
 */
async function watchLoop(
  ctx: Context,
  key: string,
  options: { recursive: boolean; afterIndex: number | undefined },
  onEvent: (event: EtcdResult) => Promise<boolean>,
): Promise<void> {
  const client = await ctx.client();
  ctx.watching();
  let index = options.afterIndex ? options.afterIndex + 1 : undefined;
  while (!ctx.signal.aborted) {
    let event: EtcdResult;
    try {
      event = await client.wait(key, {
        recursive: options.recursive,
        signal: ctx.signal,
        ...(index === undefined ? {} : { index }),
      });
    } catch (error) {
      if (ctx.signal.aborted) return;
      throw error;
    }
    if (event.node.modifiedIndex !== undefined) index = event.node.modifiedIndex + 1;
    if (!(await onEvent(event))) return;
  }
}

/**
 * Runs `argv` with the change in its environment; resolves when it exits. It runs in a process
 * group of its own, so that stopping etcctl (SIGINT, SIGTERM, SIGHUP) reaches it and whatever it
 * started: the group gets the same signal, and etcctl waits for the command to end (a second signal
 * kills the group with SIGKILL). A Ctrl+C on the terminal reaches the command through etcctl only,
 * once.
 */
function runFor(ctx: Context, argv: readonly string[], event: EtcdResult): Promise<void> {
  const [file, ...args] = argv as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      // A process group of its own (POSIX; on Windows `detached` would open a console instead).
      detached: process.platform !== 'win32',
      env: {
        ...ctx.io.env,
        ETCD_WATCH_ACTION: event.action,
        ETCD_WATCH_MODIFIED_INDEX: String(event.node.modifiedIndex ?? 0),
        ETCD_WATCH_KEY: event.node.key,
        ETCD_WATCH_VALUE: event.value ?? '',
      },
    });
    const signalGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        if (process.platform === 'win32') child.kill(signal);
        else process.kill(-child.pid, signal);
      } catch {
        // The group is gone already.
      }
    };
    const onStop = () => {
      const reason: unknown = ctx.signal.reason;
      signalGroup(reason instanceof Interrupted ? reason.signalName : 'SIGTERM');
    };
    const onForce = () => signalGroup('SIGKILL');
    const settle = () => {
      ctx.signal.removeEventListener('abort', onStop);
      ctx.force.removeEventListener('abort', onForce);
    };
    child.on('spawn', () => {
      if (ctx.force.aborted) onForce();
      else if (ctx.signal.aborted) onStop();
      ctx.signal.addEventListener('abort', onStop, { once: true });
      ctx.force.addEventListener('abort', onForce, { once: true });
    });
    ctx.forward(child.stdout, 'stdout');
    ctx.forward(child.stderr, 'stderr');
    child.on('error', (error: NodeJS.ErrnoException) => {
      settle();
      reject(new CliError(ExitCode.badArgs, `exec: "${file}": ${error.code ?? error.message}`));
    });
    child.on('close', () => {
      settle();
      resolve();
    });
  });
}

/**
 * Whether `exec-watch` was written the way Debian's etcdctl 3.4 needs it, the key last
 * (`exec-watch [options] -- COMMAND... KEY`): nothing but options between `exec-watch` and `--`.
 * etcdctl v2 took the key last whenever no argument came before `--`; etcctl does the same, so
 * both `KEY -- COMMAND...` (etcdctl's help) and `-- COMMAND... KEY` run as etcdctl v2 meant.
 */
function keyComesLast(argv: readonly string[], self: Command): boolean {
  const start = argv.indexOf(self.name());
  const end = argv.indexOf('--', start + 1);
  if (start === -1 || end === -1) return false;
  const options = [...self.options, ...(self.parent?.options ?? [])];
  for (let i = start + 1; i < end; i++) {
    const token = argv[i] as string;
    if (!token.startsWith('-')) return false;
    const option = options.find((o) => o.long === token || o.short === token);
    if (option !== undefined && (option.required || option.optional)) i++; // its value
  }
  return true;
}

/** `watch` and `exec-watch`. */
export function addWatchCommands(program: Command, run: Runner): void {
  program
    .command('watch')
    .description('watch a key for changes')
    .argument('[key]')
    .option('-f, --forever', 'forever watch a key until CTRL+C')
    .option('--after-index <index>', 'watch after the given index', integer('--after-index'))
    .option('-r, --recursive', 'returns all values for key and child keys')
    .action(
      (key: string | undefined, options: { forever?: boolean; afterIndex?: number; recursive?: boolean }) =>
        run(async (ctx) => {
          if (key === undefined) throw usage('key required');
          const recursive = options.recursive === true;
          await watchLoop(ctx, key, { recursive, afterIndex: options.afterIndex }, async (event) => {
            if (event.node.dir) return true;
            const lines = responseLines(event, ctx.globals.format);
            ctx.print(recursive ? [`[${event.action}] ${event.node.key}`, ...lines] : lines);
            return options.forever === true;
          });
        }),
    );

  program
    .command('exec-watch')
    .description('watch a key for changes and exec an executable')
    .usage('[options] <key> -- <command> [args...]  (or: [options] -- <command> [args...] <key>)')
    .argument('[key]')
    .argument('[command...]', 'the command and its arguments, after `--`')
    .option('--after-index <index>', 'watch after the given index', integer('--after-index'))
    .option('-r, --recursive', 'watch all values for key and child keys')
    .addHelpText(
      'after',
      '\nFor each change (directories excepted) the command runs with ETCD_WATCH_ACTION, ETCD_WATCH_KEY,\n' +
        'ETCD_WATCH_VALUE and ETCD_WATCH_MODIFIED_INDEX in its environment, one run after the other.\n' +
        "Example: etcctl exec-watch --recursive /config -- sh -c 'echo $ETCD_WATCH_KEY changed'",
    )
    .action(
      (
        first: string | undefined,
        rest: string[],
        options: { afterIndex?: number; recursive?: boolean },
        self: Command,
      ) =>
        run(async (ctx) => {
          const operands = first === undefined ? [] : [first, ...rest];
          const keyLast = keyComesLast(ctx.argv, self);
          const key = keyLast ? operands.at(-1) : operands[0];
          const command = keyLast ? operands.slice(0, -1) : operands.slice(1);
          if (key === undefined || command.length === 0) throw usage('key and command to exec required');
          const recursive = options.recursive === true;
          await watchLoop(ctx, key, { recursive, afterIndex: options.afterIndex }, async (event) => {
            if (event.node.dir) {
              ctx.warn([`Ignored dir ${event.node.key} change`]);
              return true;
            }
            if (ctx.signal.aborted) return false;
            await runFor(ctx, command, event);
            return true;
          });
        }),
    );
}

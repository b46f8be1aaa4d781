import type { Command } from 'commander';
import { CliError, usage } from '../cli-error.js';
import type { Context, Runner } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { lsLines, responseLines } from '../output.js';
import { stdinReader } from '../stdin-reader.js';
import { integer } from './parse.js';

async function valueArg(ctx: Context, value: string | undefined): Promise<string> {
  if (value !== undefined) return value;
  // etcdctl v2's `argOrStdin`: the rest of stdin (after a password read from it, if one was).
  const read = await stdinReader(ctx.io.stdin).rest();
  if (read === '') throw usage('value required');
  return read;
}

function keyArg(key: string | undefined): string {
  if (key === undefined) throw usage('key required');
  return key;
}

/** `--ttl` as etcdctl v2 took it: seconds, 0 (the default) for none. */
function ttlOption(ttl: number | undefined): { ttl?: number } {
  return ttl === undefined || ttl === 0 ? {} : { ttl };
}

const ttlFlag = ['--ttl <seconds>', 'key time-to-live in seconds', integer('--ttl')] as const;

/** `get`, `set`, `mk`, `mkdir`, `setdir`, `update`, `updatedir`, `rm`, `rmdir`, `ls`. */
export function addKeyCommands(program: Command, run: Runner): void {
  program
    .command('get')
    .description('retrieve the value of a key')
    .argument('[key]')
    .option('--sort', 'returns result in sorted order')
    .option('-q, --quorum', 'require quorum for get request')
    .action((key: string | undefined, options: { sort?: boolean; quorum?: boolean }) =>
      run(async (ctx) => {
        const k = keyArg(key);
        const client = await ctx.client();
        const got = await client.get(k, { sorted: options.sort === true, quorum: options.quorum === true });
        if (got.node.dir) {
          // etcd sends the root without a key: etcdctl v2 printed ': is a directory' for it.
          throw new CliError(ExitCode.badArgs, `${got.node.key === '/' ? '' : got.node.key}: is a directory`);
        }
        ctx.print(responseLines(got, ctx.globals.format));
      }),
    );

  program
    .command('set')
    .description('set the value of a key')
    .argument('[key]')
    .argument('[value]', 'the value (read from stdin when absent); after `--` when it begins with "-"')
    .option(...ttlFlag)
    .option('--swap-with-value <value>', 'previous value')
    .option('--swap-with-index <index>', 'previous index', integer('--swap-with-index'))
    .action(
      (
        key: string | undefined,
        value: string | undefined,
        options: { ttl?: number; swapWithValue?: string; swapWithIndex?: number },
      ) =>
        run(async (ctx) => {
          const k = keyArg(key);
          // The client first: a `--username` password is the first line of stdin, the value the rest.
          const client = await ctx.client();
          const v = await valueArg(ctx, value);
          const result = await client.set(k, v, {
            ...ttlOption(options.ttl),
            ...(options.swapWithValue ? { prevValue: options.swapWithValue } : {}),
            ...(options.swapWithIndex ? { prevIndex: options.swapWithIndex } : {}),
          });
          ctx.print(responseLines(result, ctx.globals.format));
        }),
    );

  program
    .command('mk')
    .description('make a new key with a given value')
    .argument('[key]')
    .argument('[value]', 'the value (read from stdin when absent)')
    .option('--in-order', 'create in-order key under directory <key>')
    .option(...ttlFlag)
    .action(
      (key: string | undefined, value: string | undefined, options: { inOrder?: boolean; ttl?: number }) =>
        run(async (ctx) => {
          const k = keyArg(key);
          // The client first: a `--username` password is the first line of stdin, the value the rest.
          const client = await ctx.client();
          const v = await valueArg(ctx, value);
          const result = options.inOrder
            ? await client.append(k, v, ttlOption(options.ttl))
            : await client.create(k, v, ttlOption(options.ttl));
          ctx.print(responseLines(result, ctx.globals.format));
        }),
    );

  const dirCommand = (name: string, description: string, how: 'create' | 'set' | 'update') =>
    program
      .command(name)
      .description(description)
      .argument('[key]')
      .option(...ttlFlag)
      .action((key: string | undefined, options: { ttl?: number }) =>
        run(async (ctx) => {
          const k = keyArg(key);
          const client = await ctx.client();
          const dir = { dir: true as const, ...ttlOption(options.ttl) };
          const result =
            how === 'create'
              ? await client.create(k, dir)
              : how === 'set'
                ? await client.set(k, dir)
                : await client.update(k, dir);
          if (ctx.globals.format !== 'simple') ctx.print(responseLines(result, ctx.globals.format));
        }),
      );
  dirCommand('mkdir', 'make a new directory', 'create');
  dirCommand('setdir', 'create a new directory or update an existing directory TTL', 'set');
  dirCommand('updatedir', 'update an existing directory', 'update');

  program
    .command('update')
    .description('update an existing key with a given value')
    .argument('[key]')
    .argument('[value]', 'the value (read from stdin when absent)')
    .option(...ttlFlag)
    .action((key: string | undefined, value: string | undefined, options: { ttl?: number }) =>
      run(async (ctx) => {
        const k = keyArg(key);
        // The client first: a `--username` password is the first line of stdin, the value the rest.
        const client = await ctx.client();
        const v = await valueArg(ctx, value);
        const result = await client.update(k, v, ttlOption(options.ttl));
        ctx.print(responseLines(result, ctx.globals.format));
      }),
    );

  program
    .command('rm')
    .description('remove a key or a directory')
    .argument('[key]')
    .option('--dir', 'removes the key if it is an empty directory or a key-value pair')
    .option('-r, --recursive', 'removes the key and all child keys(if it is a directory)')
    .option('--with-value <value>', 'previous value')
    .option('--with-index <index>', 'previous index', integer('--with-index'))
    .action(
      (
        key: string | undefined,
        options: { dir?: boolean; recursive?: boolean; withValue?: string; withIndex?: number },
      ) =>
        run(async (ctx) => {
          const k = keyArg(key);
          const client = await ctx.client();
          const result = await client.delete(k, {
            ...(options.dir ? { dir: true } : {}),
            ...(options.recursive ? { recursive: true } : {}),
            ...(options.withValue ? { prevValue: options.withValue } : {}),
            ...(options.withIndex ? { prevIndex: options.withIndex } : {}),
          });
          if (!result.node.dir || ctx.globals.format !== 'simple') {
            ctx.print(responseLines(result, ctx.globals.format));
          }
        }),
    );

  program
    .command('rmdir')
    .description('removes the key if it is an empty directory or a key-value pair')
    .argument('[key]')
    .action((key: string | undefined) =>
      run(async (ctx) => {
        const k = keyArg(key);
        const client = await ctx.client();
        const result = await client.delete(k, { dir: true });
        if (!result.node.dir || ctx.globals.format !== 'simple') {
          ctx.print(responseLines(result, ctx.globals.format));
        }
      }),
    );

  program
    .command('ls')
    .description('retrieve a directory')
    .argument('[key]', 'the directory (default /)')
    .option('--sort', 'returns result in sorted order')
    .option('-r, --recursive', 'returns all key names recursively for the given path')
    .option('-p', 'append slash (/) to directories')
    .option('-q, --quorum', 'require quorum for get request')
    .action(
      (
        key: string | undefined,
        options: { sort?: boolean; recursive?: boolean; p?: boolean; quorum?: boolean },
      ) =>
        run(async (ctx) => {
          const client = await ctx.client();
          const got = await client.get(key ?? '/', {
            sorted: options.sort === true,
            recursive: options.recursive === true,
            quorum: options.quorum === true,
          });
          ctx.print(
            ctx.globals.format === 'simple'
              ? lsLines(got, options.p === true)
              : responseLines(got, ctx.globals.format),
          );
        }),
    );
}

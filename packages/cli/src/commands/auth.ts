import { posix } from 'node:path';
import { AdminError, ConnectionError, HTTPError, type Permissions, Unauthorized } from '@etc/client';
import type { Command } from 'commander';
import { CliError } from '../cli-error.js';
import type { Context, Runner } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { askPassword } from '../password.js';

const fail = (line: string) => new CliError(ExitCode.badArgs, line);

/** etcdctl v2's `mustUserAPIAndName`/`mustRoleAPIAndName`: exactly one argument, else `message`. */
function oneArg(args: readonly string[], message: string): string {
  const [only] = args;
  if (only === undefined || args.length !== 1) throw fail(message);
  return only;
}

/** `user list`, `role list`, `auth enable|disable` take no argument (etcdctl v2's line). */
function noArgs(args: readonly string[]): void {
  if (args.length !== 0) throw fail('No arguments accepted');
}

/**
 * Whether a user or role exists, as etcdctl v2 looked before `add`: what the lookup fails with is
 * left for the request that follows to report, but an unreachable cluster ends the command here,
 * before any prompt (etcdctl v2 found that out syncing the member list).
 */
async function exists(lookup: Promise<unknown>): Promise<boolean> {
  try {
    await lookup;
    return true;
  } catch (error) {
    if (error instanceof ConnectionError) throw error;
    return false;
  }
}

/**
 * `user get`'s roles line as etcdctl v2 printed it. etcd (2.2 and later) sends a user's roles as
 * objects; etcdctl v2's client decoded them into a list of strings first, which left one empty
 * string per role in front of the names, so `Roles:` is followed by one space per role and then
 * the names joined by a space (`Roles:  root`, `Roles:   app root`). Kept byte for byte.
 */
export function rolesLine(roles: readonly string[]): string {
  return `Roles: ${[...roles.map(() => ''), ...roles].join(' ')}`;
}

/** etcdctl v2's `ListRoles` did not read etcd's refusal: it printed the HTTP status alone. */
function statusOnly(error: unknown): unknown {
  if (error instanceof Unauthorized) return fail('unexpected status code 401');
  if (error instanceof AdminError || error instanceof HTTPError) {
    return fail(`unexpected status code ${(error as AdminError | HTTPError).statusCode}`);
  }
  return error;
}

/** etcd's `pathutil.CanonicalURLPath`: a leading `/`, `.`/`..`/`//` resolved, a trailing `/` kept. */
export function canonicalPath(path: string): string {
  if (path === '') return '/';
  if (!path.startsWith('/')) path = `/${path}`;
  let clean = posix.normalize(path);
  if (clean.length > 1 && clean.endsWith('/')) clean = clean.slice(0, -1);
  return path.endsWith('/') && clean !== '/' ? `${clean}/` : clean;
}

const collect = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(',')
    .map((role) => role.trim())
    .filter((role) => role !== ''),
];

/**
 * `user ...`, `role ...` and `auth enable|disable`, with etcdctl v2's (3.4) output, checks and
 * order: arguments first, then the client (and the `--username` prompt), then the new password.
 * Deliberately different: `user add` of a user that exists and `user passwd` of one that does not
 * are refused (etcd would change the password or create the user), and `--roles` takes a
 * comma-separated list as well as repeats.
 */
export function addAuthCommands(program: Command, run: Runner): void {
  const user = program.command('user').description('user add, grant and revoke subcommands');
  const admin = (action: (ctx: Context) => Promise<void>) =>
    run(async (ctx) => {
      ctx.style = 'admin';
      await action(ctx);
    });

  user
    .command('add')
    .description('add a new user for the etcd cluster (asks for the password unless given as user:password)')
    .argument('[user]', 'user or user:password')
    .allowExcessArguments(true)
    .action((_arg: unknown, _options: unknown, command: Command) =>
      admin(async (ctx) => {
        const spec = oneArg(command.args, 'Please provide a username');
        const auth = (await ctx.client()).auth;
        const colon = spec.indexOf(':');
        const name = colon === -1 ? spec : spec.slice(0, colon);
        if (await exists(auth.user(name))) throw fail(`User ${name} already exists`);
        const password = colon === -1 ? await askPassword(ctx.io, 'New password: ') : spec.slice(colon + 1);
        if (password === '') throw fail(`auth: Cannot create user ${name} with an empty password`);
        await auth.addUser(name, password);
        ctx.print([`User ${name} created`]);
      }),
    );
  user
    .command('get')
    .description('get details for a user')
    .argument('[user]')
    .allowExcessArguments(true)
    .action((_arg: unknown, _options: unknown, command: Command) =>
      admin(async (ctx) => {
        const name = oneArg(command.args, 'Please provide a username');
        const found = await (await ctx.client()).auth.user(name);
        ctx.print([`User: ${found.user}`, rolesLine(found.roles)]);
      }),
    );
  user
    .command('list')
    .description('list all current users')
    .allowExcessArguments(true)
    .action((_options: unknown, command: Command) =>
      admin(async (ctx) => {
        noArgs(command.args);
        ctx.print(await (await ctx.client()).auth.users());
      }),
    );
  user
    .command('remove')
    .description('remove a user for the etcd cluster')
    .argument('[user]')
    .allowExcessArguments(true)
    .action((_arg: unknown, _options: unknown, command: Command) =>
      admin(async (ctx) => {
        const name = oneArg(command.args, 'Please provide a username');
        await (await ctx.client()).auth.removeUser(name);
        ctx.print([`User ${name} removed`]);
      }),
    );
  for (const change of ['grant', 'revoke'] as const) {
    user
      .command(change)
      .description(change === 'grant' ? 'grant roles to an etcd user' : 'revoke roles for an etcd user')
      .argument('[user]')
      .allowExcessArguments(true)
      .option('--roles <roles>', 'List of roles to grant or revoke (comma-separated or repeated)', collect)
      .action((_arg: unknown, options: { roles?: string[] }, command: Command) =>
        admin(async (ctx) => {
          const roles = options.roles ?? [];
          if (roles.length === 0) throw fail('No roles specified; please use `--roles`');
          const name = oneArg(command.args, 'Please provide a username');
          const auth = (await ctx.client()).auth;
          if (change === 'grant') await auth.grantRoles(name, roles);
          else await auth.revokeRoles(name, roles);
          ctx.print([`User ${name} updated`]);
        }),
      );
  }
  user
    .command('passwd')
    .description('change password for a user (asks for it)')
    .argument('[user]')
    .allowExcessArguments(true)
    .action((_arg: unknown, _options: unknown, command: Command) =>
      admin(async (ctx) => {
        const name = oneArg(command.args, 'Please provide a username');
        const auth = (await ctx.client()).auth;
        const password = await askPassword(ctx.io, 'New password: ');
        if (password === '') {
          // etcd's answer to an empty password for a user that exists (looked up first: etcd
          // would answer another way for one that does not).
          await auth.user(name);
          throw fail('auth: User not updated. Use grant/revoke/password to update the user.');
        }
        await auth.changePassword(name, password);
        ctx.print(['Password updated']);
      }),
    );

  const role = program.command('role').description('role add, grant and revoke subcommands');
  role
    .command('add')
    .description('add a new role for the etcd cluster')
    .argument('[role]')
    .allowExcessArguments(true)
    .action((_arg: unknown, _options: unknown, command: Command) =>
      admin(async (ctx) => {
        const name = oneArg(command.args, 'Please provide a role name');
        const auth = (await ctx.client()).auth;
        if (await exists(auth.role(name))) throw fail(`Role ${name} already exists`);
        await auth.addRole(name);
        ctx.print([`Role ${name} created`]);
      }),
    );
  role
    .command('get')
    .description('get details for a role')
    .argument('[role]')
    .allowExcessArguments(true)
    .action((_arg: unknown, _options: unknown, command: Command) =>
      admin(async (ctx) => {
        const name = oneArg(command.args, 'Please provide a role name');
        const found = await (await ctx.client()).auth.role(name);
        ctx.print([
          `Role: ${found.role}`,
          'KV Read:',
          ...found.permissions.read.map((path) => `\t${path}`),
          'KV Write:',
          ...found.permissions.write.map((path) => `\t${path}`),
        ]);
      }),
    );
  role
    .command('list')
    .description('list all roles')
    .allowExcessArguments(true)
    .action((_options: unknown, command: Command) =>
      admin(async (ctx) => {
        noArgs(command.args);
        const client = await ctx.client();
        ctx.print(
          await client.auth.roles().catch((error: unknown) => {
            throw statusOnly(error);
          }),
        );
      }),
    );
  role
    .command('remove')
    .description('remove a role from the etcd cluster')
    .argument('[role]')
    .allowExcessArguments(true)
    .action((_arg: unknown, _options: unknown, command: Command) =>
      admin(async (ctx) => {
        const name = oneArg(command.args, 'Please provide a role name');
        await (await ctx.client()).auth.removeRole(name);
        ctx.print([`Role ${name} removed`]);
      }),
    );
  for (const change of ['grant', 'revoke'] as const) {
    role
      .command(change)
      .description(
        change === 'grant' ? 'grant path matches to an etcd role' : 'revoke path matches for an etcd role',
      )
      .argument('[role]')
      .allowExcessArguments(true)
      .option('--path <path>', `Path ${change === 'grant' ? 'granted' : 'revoked'} for the role to access`)
      .option('--read', `${change === 'grant' ? 'Grant read-only' : 'Revoke read'} access`)
      .option('--write', `${change === 'grant' ? 'Grant write-only' : 'Revoke write'} access`)
      .option('--readwrite', `${change === 'grant' ? 'Grant' : 'Revoke'} read-write access`)
      .option('--rw', 'the same as --readwrite')
      .action(
        (
          _arg: unknown,
          options: { path?: string; read?: boolean; write?: boolean; readwrite?: boolean; rw?: boolean },
          command: Command,
        ) =>
          admin(async (ctx) => {
            const path = options.path ?? '';
            if (path === '') throw fail('No path specified; please use `--path`');
            if (canonicalPath(path) !== path) {
              throw fail(`Not canonical path; please use \`--path=${canonicalPath(path)}\``);
            }
            const rw = options.readwrite === true || options.rw === true;
            if ([options.read === true, options.write === true, rw].filter(Boolean).length !== 1) {
              throw fail('Please specify exactly one of --read, --write or --readwrite');
            }
            const permissions: Partial<Permissions> = {};
            if (options.read || rw) permissions.read = [path];
            if (options.write || rw) permissions.write = [path];
            const name = oneArg(command.args, 'Please provide a role name');
            const auth = (await ctx.client()).auth;
            const before = await auth.role(name);
            const after =
              change === 'grant'
                ? await auth.grantPermissions(name, permissions)
                : await auth.revokePermissions(name, permissions);
            // etcdctl v2 printed this without a newline, in front of the next line.
            const unchanged = JSON.stringify(after.permissions) === JSON.stringify(before.permissions);
            if (unchanged)
              ctx.io.stdout.write(`Role unchanged; already ${change === 'grant' ? 'granted' : 'revoked'}`);
            ctx.print([`Role ${name} updated`]);
          }),
      );
  }

  const auth = program.command('auth').description('overall auth controls');
  for (const [name, description, done] of [
    ['enable', 'enable auth access controls', 'Authentication Enabled'],
    ['disable', 'disable auth access controls', 'Authentication Disabled'],
  ] as const) {
    auth
      .command(name)
      .description(description)
      .allowExcessArguments(true)
      .action((_options: unknown, command: Command) =>
        admin(async (ctx) => {
          noArgs(command.args);
          const client = await ctx.client();
          if (name === 'enable') await client.auth.enable();
          else await client.auth.disable();
          ctx.print([done]);
        }),
      );
  }
}

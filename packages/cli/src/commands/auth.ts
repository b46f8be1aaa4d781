import { posix } from 'node:path';
import type { Permissions } from '@etc/client';
import type { Command } from 'commander';
import { CliError } from '../cli-error.js';
import type { Context, Runner } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { askPassword } from '../password.js';

const fail = (line: string) => new CliError(ExitCode.badArgs, line);

function userArg(user: string | undefined): string {
  if (user === undefined) throw fail('Please provide a username');
  return user;
}

function roleArg(role: string | undefined): string {
  if (role === undefined) throw fail('Please provide a role name');
  return role;
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

/** `user ...`, `role ...` and `auth enable|disable`, with etcdctl v2's output. */
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
    .action((arg: string | undefined) =>
      admin(async (ctx) => {
        const spec = userArg(arg);
        const colon = spec.indexOf(':');
        const name = colon === -1 ? spec : spec.slice(0, colon);
        const password = colon === -1 ? await askPassword(ctx.io, 'New password: ') : spec.slice(colon + 1);
        if (password === '') throw fail(`auth: Cannot create user ${name} with an empty password`);
        await (await ctx.client()).auth.addUser(name, password);
        ctx.print([`User ${name} created`]);
      }),
    );
  user
    .command('get')
    .description('get details for a user')
    .argument('[user]')
    .action((arg: string | undefined) =>
      admin(async (ctx) => {
        const found = await (await ctx.client()).auth.user(userArg(arg));
        ctx.print([`User: ${found.user}`, `Roles: ${found.roles.join(' ')}`]);
      }),
    );
  user
    .command('list')
    .description('list all current users')
    .action(() =>
      admin(async (ctx) => {
        ctx.print(await (await ctx.client()).auth.users());
      }),
    );
  user
    .command('remove')
    .description('remove a user for the etcd cluster')
    .argument('[user]')
    .action((arg: string | undefined) =>
      admin(async (ctx) => {
        const name = userArg(arg);
        await (await ctx.client()).auth.removeUser(name);
        ctx.print([`User ${name} removed`]);
      }),
    );
  for (const change of ['grant', 'revoke'] as const) {
    user
      .command(change)
      .description(change === 'grant' ? 'grant roles to an etcd user' : 'revoke roles for an etcd user')
      .argument('[user]')
      .option('--roles <roles>', 'List of roles to grant or revoke (comma-separated or repeated)', collect)
      .action((arg: string | undefined, options: { roles?: string[] }) =>
        admin(async (ctx) => {
          const roles = options.roles ?? [];
          if (roles.length === 0) throw fail('No roles specified; please use `--roles`');
          const name = userArg(arg);
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
    .action((arg: string | undefined) =>
      admin(async (ctx) => {
        const name = userArg(arg);
        const password = await askPassword(ctx.io, 'New password: ');
        if (password === '') throw fail(`auth: Cannot set an empty password for user ${name}`);
        await (await ctx.client()).auth.changePassword(name, password);
        ctx.print(['Password updated']);
      }),
    );

  const role = program.command('role').description('role add, grant and revoke subcommands');
  role
    .command('add')
    .description('add a new role for the etcd cluster')
    .argument('[role]')
    .action((arg: string | undefined) =>
      admin(async (ctx) => {
        const name = roleArg(arg);
        const auth = (await ctx.client()).auth;
        const exists = await auth.role(name).then(
          () => true,
          () => false,
        );
        if (exists) throw fail(`Role ${name} already exists`);
        await auth.addRole(name);
        ctx.print([`Role ${name} created`]);
      }),
    );
  role
    .command('get')
    .description('get details for a role')
    .argument('[role]')
    .action((arg: string | undefined) =>
      admin(async (ctx) => {
        const found = await (await ctx.client()).auth.role(roleArg(arg));
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
    .action(() =>
      admin(async (ctx) => {
        ctx.print(await (await ctx.client()).auth.roles());
      }),
    );
  role
    .command('remove')
    .description('remove a role from the etcd cluster')
    .argument('[role]')
    .action((arg: string | undefined) =>
      admin(async (ctx) => {
        const name = roleArg(arg);
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
      .option('--path <path>', `Path ${change === 'grant' ? 'granted' : 'revoked'} for the role to access`)
      .option('--read', `${change === 'grant' ? 'Grant read-only' : 'Revoke read'} access`)
      .option('--write', `${change === 'grant' ? 'Grant write-only' : 'Revoke write'} access`)
      .option('--readwrite', `${change === 'grant' ? 'Grant' : 'Revoke'} read-write access`)
      .option('--rw', 'the same as --readwrite')
      .action(
        (
          arg: string | undefined,
          options: { path?: string; read?: boolean; write?: boolean; readwrite?: boolean; rw?: boolean },
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
            const name = roleArg(arg);
            const auth = (await ctx.client()).auth;
            await auth.role(name);
            if (change === 'grant') await auth.grantPermissions(name, permissions);
            else await auth.revokePermissions(name, permissions);
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
      .action(() =>
        admin(async (ctx) => {
          const client = await ctx.client();
          if (name === 'enable') await client.auth.enable();
          else await client.auth.disable();
          ctx.print([done]);
        }),
      );
  }
}

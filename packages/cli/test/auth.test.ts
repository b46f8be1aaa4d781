// user, role and auth commands against an etcd member of this file's own (auth is turned on).
import { type EtcdCluster, startEtcd } from '@etc/etcd-launcher';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { bundleEtcctl, type RunOptions, runChild } from './etcctl.js';

let etcd: EtcdCluster;
let bin: string;
let removeBin: () => Promise<void>;

beforeAll(async () => {
  ({ bin, remove: removeBin } = await bundleEtcctl());
  etcd = await startEtcd({ name: 'cli-auth', binary: inject('etcdBin') || undefined });
});
afterAll(async () => {
  await etcd?.stop();
  await removeBin?.();
});

const ours = (args: readonly string[], options: RunOptions = {}) =>
  runChild(process.execPath, [bin, ...args], {
    ...options,
    env: { ETCDCTL_ENDPOINTS: etcd.url, ...options.env },
  });
const ok = (stdout: string) => ({ stdout, stderr: '', code: 0 });
const failed = (stderr: string) => ({ stdout: '', stderr, code: 1 });

test('users, roles and auth, as etcdctl v2 prints them; refused credentials', async () => {
  expect(await ours(['user', 'list'])).toEqual(ok(''));
  expect(await ours(['user', 'add', 'root:rootpw'])).toEqual(ok('User root created\n'));
  // The password from stdin when it is not given and stdin is not a terminal: the prompt and a
  // newline on stdout, as etcdctl v2 wrote them.
  expect(await ours(['user', 'add', 'app'], { stdin: 'apppw\n' })).toEqual(
    ok('New password: \nUser app created\n'),
  );
  expect(await ours(['user', 'add', 'empty'], { stdin: '' })).toEqual({
    stdout: 'New password: \n',
    stderr: 'auth: Cannot create user empty with an empty password\n',
    code: 1,
  });
  expect(await ours(['user', 'add', 'app:other'])).toEqual(failed('User app already exists\n'));
  expect(await ours(['user', 'list'])).toEqual(ok('app\nroot\n'));
  expect(await ours(['user', 'get', 'nobody'])).toEqual(failed('auth: User nobody does not exist.\n'));
  expect(await ours(['user', 'get'])).toEqual(failed('Please provide a username\n'));

  expect(await ours(['role', 'add', 'reader'])).toEqual(ok('Role reader created\n'));
  expect(await ours(['role', 'add', 'reader'])).toEqual(failed('Role reader already exists\n'));
  expect(await ours(['role', 'grant', 'reader', '--path', '/app/*', '--rw'])).toEqual(
    ok('Role reader updated\n'),
  );
  expect(await ours(['role', 'get', 'reader'])).toEqual(
    ok('Role: reader\nKV Read:\n\t/app/*\nKV Write:\n\t/app/*\n'),
  );
  expect(await ours(['role', 'revoke', 'reader', '--path', '/app/*', '--write'])).toEqual(
    ok('Role reader updated\n'),
  );
  expect(await ours(['role', 'get', 'reader'])).toEqual(ok('Role: reader\nKV Read:\n\t/app/*\nKV Write:\n'));
  expect(await ours(['role', 'grant', 'reader', '--path', 'app/../x'])).toEqual(
    failed('Not canonical path; please use `--path=/x`\n'),
  );
  expect(await ours(['role', 'grant', 'reader', '--path', '/x', '--read', '--write'])).toEqual(
    failed('Please specify exactly one of --read, --write or --readwrite\n'),
  );
  expect(await ours(['role', 'grant', 'reader', '--read'])).toEqual(
    failed('No path specified; please use `--path`\n'),
  );
  expect(await ours(['role', 'list'])).toEqual(ok('reader\nroot\n'));
  expect(await ours(['user', 'grant', 'app', '--roles', 'reader'])).toEqual(ok('User app updated\n'));
  // etcdctl v2's line: one space per role before the names (see rolesLine).
  expect(await ours(['user', 'get', 'app'])).toEqual(ok('User: app\nRoles:  reader\n'));
  expect(await ours(['user', 'grant', 'app'])).toEqual(failed('No roles specified; please use `--roles`\n'));

  expect(await ours(['auth', 'enable'])).toEqual(ok('Authentication Enabled\n'));
  // Administration now needs root.
  const anonymous = await ours(['user', 'list']);
  expect(anonymous.code).toBe(1);
  expect(anonymous.stderr).toMatch(/^.+\n$/);
  const refused = await ours(['-u', 'root:wrong', 'user', 'list']);
  expect(refused.code).toBe(1);
  expect(refused.stderr).not.toContain('wrong');
  // Refused credentials on the keys API: etcd's 110, status 4, the password never shown.
  const keys = await ours(['-u', 'root:wrong', 'set', '/app/x', '1']);
  expect(keys.code).toBe(4);
  expect(keys.stderr).toMatch(/^Error: {2}110: The request requires user authentication \(.*\) \[\d+\]\n$/);
  expect(keys.stderr).not.toContain('wrong');
  expect(await ours(['-u', 'root:rootpw', 'user', 'list'])).toEqual(ok('app\nroot\n'));
  // --username without a password: asked for (from stdin here: no terminal).
  expect(await ours(['-u', 'root', 'user', 'get', 'app'], { stdin: 'rootpw\n' })).toEqual(
    ok('Password: \nUser: app\nRoles:  reader\n'),
  );
  // Two prompts, one line of stdin each.
  expect(await ours(['-u', 'root', 'user', 'passwd', 'app'], { stdin: 'rootpw\nnewpw\n' })).toEqual(
    ok('Password: \nNew password: \nPassword updated\n'),
  );
  expect(await ours(['-u', 'root:rootpw', 'user', 'passwd', 'ghost'], { stdin: 'pw\n' })).toEqual({
    stdout: 'New password: \n',
    stderr: 'auth: User ghost does not exist.\n',
    code: 1,
  });
  // etcd refuses a role list without root's credentials; etcdctl v2 printed the status alone.
  expect(await ours(['-u', 'root:wrong', 'role', 'list'])).toEqual(failed('unexpected status code 401\n'));
  expect(await ours(['-u', 'root:rootpw', 'set', '/app/x', '1'])).toEqual(ok('1\n'));
  expect(await ours(['-u', 'app:newpw', 'get', '/app/x'])).toEqual(ok('1\n'));
  // app may read /app/* but no longer write there.
  expect((await ours(['-u', 'app:newpw', 'set', '/app/x', '2'])).code).toBe(4);
  expect((await ours(['-u', 'app:apppw', 'get', '/app/x'])).code).toBe(4);
  expect(await ours(['-u', 'root:rootpw', 'user', 'revoke', 'app', '--roles', 'reader'])).toEqual(
    ok('User app updated\n'),
  );
  expect(await ours(['-u', 'root:rootpw', 'user', 'remove', 'app'])).toEqual(ok('User app removed\n'));
  expect(await ours(['-u', 'root:rootpw', 'role', 'remove', 'reader'])).toEqual(ok('Role reader removed\n'));
  expect(await ours(['-u', 'root:rootpw', 'role', 'remove', 'reader'])).toEqual(
    failed("auth: Role reader doesn't exist.\n"),
  );
  expect(await ours(['-u', 'root:rootpw', 'auth', 'disable'])).toEqual(ok('Authentication Disabled\n'));
  expect(await ours(['auth', 'disable'])).toEqual(failed('auth: already disabled\n'));
  expect(await ours(['user', 'remove', 'root'])).toEqual(ok('User root removed\n'));
}, 120_000);

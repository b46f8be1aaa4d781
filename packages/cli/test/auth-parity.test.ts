// user, role and auth commands compared live with Debian's etcdctl v2 (etcd-client, ETCDCTL_API=2):
// the same steps run through etcdctl against one etcd and through the built etcctl against another,
// started alike, so both see the same state; stdout, stderr and the exit status must be equal byte
// for byte. Two things are normalised, on purpose: etcdctl's `stty: ...` lines (speakeasy runs
// `stty -echo` on a stdin that is not a terminal; they are stty's complaint, not etcdctl's
// output) and the endpoint URLs. What etcctl does differently by design is a test of its own below,
// which asserts both tools' output.
import { type EtcdCluster, startEtcd } from '@etc/etcd-launcher';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { bundleEtcctl, etcdctl, etcdctlPath, type Ran, runChild } from './etcctl.js';

let mine: EtcdCluster;
let theirs: EtcdCluster;
let bin: string;
let removeBin: () => Promise<void>;

beforeAll(async () => {
  ({ bin, remove: removeBin } = await bundleEtcctl());
  if (etcdctlPath === undefined) return;
  const binary = inject('etcdBin') || undefined;
  [mine, theirs] = await Promise.all([
    startEtcd({ name: 'cli-parity-ours', binary }),
    startEtcd({ name: 'cli-parity-theirs', binary }),
  ]);
}, 120_000);
afterAll(async () => {
  await Promise.all([mine?.stop(), theirs?.stop()]);
  await removeBin?.();
});

interface Step {
  args: string[];
  stdin?: string;
}

const ours = (step: Step): Promise<Ran> =>
  runChild(process.execPath, [bin, ...step.args], {
    stdin: step.stdin ?? '',
    env: { ETCDCTL_ENDPOINTS: mine.url },
  });
const reference = async (step: Step): Promise<Ran> => {
  const ran = await etcdctl(step.args, { stdin: step.stdin ?? '', env: { ETCDCTL_ENDPOINTS: theirs.url } });
  return { ...ran, stderr: ran.stderr.replace(/^stty: .*\n/gm, '') };
};
const sameUrl = (ran: Ran): Ran => ({
  stdout: ran.stdout.replaceAll(mine.url, theirs.url),
  stderr: ran.stderr.replaceAll(mine.url, theirs.url),
  code: ran.code,
});

/**
 * Runs each step through both tools and expects equal results; resolves with a look-up of
 * etcctl's result by the step's arguments (the last run of them).
 */
async function parity(steps: readonly Step[]): Promise<(...args: string[]) => Ran | undefined> {
  const results = new Map<string, Ran>();
  for (const step of steps) {
    const got = sameUrl(await ours(step));
    const want = await reference(step);
    expect({ step, ...got }).toEqual({ step, ...want });
    results.set(JSON.stringify(step.args), got);
  }
  return (...args) => results.get(JSON.stringify(args));
}

const skip = etcdctlPath === undefined;
const skipReason = skip ? ' (skipped: etcdctl of Debian etcd-client not installed)' : '';

describe.skipIf(skip)(`user, role and auth: byte for byte as etcdctl v2${skipReason}`, () => {
  test('users and roles without auth: success, usage errors and what etcd refuses', async () => {
    const results = await parity([
      { args: ['user', 'list'] },
      { args: ['role', 'list'] },
      { args: ['user', 'add', 'root:rootpw'] },
      { args: ['user', 'add'] },
      { args: ['user', 'add', 'a', 'b'] },
      // No terminal: etcdctl writes the prompt to stdout and reads a line of stdin.
      { args: ['user', 'add', 'app'], stdin: 'apppw\n' },
      { args: ['user', 'add', 'nopw'], stdin: '' },
      { args: ['user', 'add', 'nopw:'] },
      { args: ['user', 'get'] },
      { args: ['user', 'get', 'nobody'] },
      { args: ['user', 'get', 'app'] },
      { args: ['user', 'get', 'app', 'extra'] },
      { args: ['user', 'list', 'extra'] },
      { args: ['user', 'list'] },
      { args: ['user', 'remove'] },
      { args: ['user', 'remove', 'nobody'] },
      { args: ['role', 'add'] },
      { args: ['role', 'add', 'r1'] },
      { args: ['role', 'add', 'r1'] },
      { args: ['role', 'add', 'root'] },
      { args: ['role', 'add', 'r2'] },
      { args: ['role', 'add', 'r3', 'r4'] },
      { args: ['role', 'get'] },
      { args: ['role', 'get', 'nope'] },
      { args: ['role', 'get', 'r1'] },
      { args: ['role', 'get', 'root'] },
      { args: ['role', 'list', 'extra'] },
      { args: ['role', 'list'] },
      { args: ['role', 'grant', 'r1', '--path', '/a/*', '--read'] },
      { args: ['role', 'grant', 'r1', '--path', '/a/*', '--read'] },
      { args: ['role', 'grant', 'r1', '--path', '/a/*', '--readwrite'] },
      { args: ['role', 'revoke', 'r1', '--path', '/a/*', '--write'] },
      { args: ['role', 'grant', 'r1', '--path', '/a/*', '--write'] },
      { args: ['role', 'grant', 'r1', '--path', '/b', '--rw'] },
      { args: ['role', 'revoke', 'r1', '--path', '/b', '--readwrite'] },
      { args: ['role', 'get', 'r1'] },
      { args: ['role', 'grant', 'nope', '--path', '/a', '--read'] },
      { args: ['role', 'revoke', 'nope', '--path', '/a', '--read'] },
      { args: ['role', 'grant', 'root', '--path', '/a', '--read'] },
      { args: ['role', 'revoke', 'root', '--path', '/*', '--read'] },
      { args: ['role', 'remove', 'root'] },
      { args: ['role', 'remove', 'nope'] },
      { args: ['role', 'remove'] },
      { args: ['role', 'grant', 'r1', '--path', 'a/../b', '--read'] },
      { args: ['role', 'grant', 'r1', '--path', '/a'] },
      { args: ['role', 'grant', 'r1', '--path', '/a', '--read', '--write'] },
      { args: ['role', 'grant', 'r1', '--read'] },
      { args: ['role', 'grant', '--path', '/a', '--read'] },
      { args: ['role', 'revoke', 'r1', 'r2', '--path', '/a', '--read'] },
      { args: ['user', 'grant', 'app'] },
      { args: ['user', 'grant', 'app', '--roles', 'r1', '--roles', 'r2'] },
      { args: ['user', 'get', 'app'] },
      { args: ['user', 'grant', 'app', '--roles', 'r1'] },
      { args: ['user', 'revoke', 'app', '--roles', 'zz'] },
      { args: ['user', 'revoke', 'app', '--roles', 'r2'] },
      { args: ['user', 'get', 'app'] },
      { args: ['user', 'get', 'root'] },
      { args: ['user', 'grant', 'nobody', '--roles', 'r1'] },
      { args: ['user', 'grant', 'a', 'b', '--roles', 'r1'] },
      { args: ['user', 'passwd'] },
      { args: ['user', 'passwd', 'app'], stdin: 'newpw\n' },
      { args: ['user', 'passwd', 'app'], stdin: '' },
      { args: ['role', 'remove', 'r2'] },
    ]);
    // A few of them spelled out, so that a wrong reference cannot hide.
    expect(results('user', 'add', 'app')).toEqual({
      stdout: 'New password: \nUser app created\n',
      stderr: '',
      code: 0,
    });
    expect(results('user', 'get', 'app')).toEqual({ stdout: 'User: app\nRoles:  r1\n', stderr: '', code: 0 });
  }, 120_000);

  test('auth: root rules, credentials refused, passwords asked for on stdin', async () => {
    const results = await parity([
      { args: ['auth', 'enable', 'extra'] },
      { args: ['auth', 'disable'] },
      { args: ['user', 'remove', 'root'] },
      // auth without a root user
      { args: ['auth', 'enable'] },
      { args: ['user', 'add', 'root:rootpw'] },
      { args: ['auth', 'enable'] },
      { args: ['auth', 'enable'] },
      { args: ['-u', 'root:rootpw', 'auth', 'enable'] },
      // anonymous (guest) and refused credentials
      { args: ['user', 'list'] },
      { args: ['role', 'list'] },
      { args: ['role', 'get', 'guest'] },
      { args: ['-u', 'root:wrong', 'user', 'list'] },
      { args: ['-u', 'root:wrong', 'role', 'list'] },
      { args: ['-u', 'root:wrong', 'user', 'add', 'eve:pw'] },
      { args: ['-u', 'root:wrong', 'role', 'add', 'evil'] },
      { args: ['-u', 'root:wrong', 'set', '/k', 'v'] },
      { args: ['-u', 'root:wrong', 'get', '/k'] },
      { args: ['-u', 'nobody:pw', 'ls', '/'] },
      { args: ['-u', 'app:newpw', 'user', 'list'] },
      { args: ['-u', 'app:newpw', 'auth', 'disable'] },
      // --username without a password: asked for, the answer read from stdin
      { args: ['-u', 'root:rootpw', 'user', 'list'] },
      { args: ['-u', 'root', 'user', 'list'], stdin: 'rootpw\n' },
      { args: ['-u', 'root', 'role', 'list'], stdin: 'rootpw\r\n' },
      { args: ['-u', 'root', 'user', 'list'], stdin: 'wrong\n' },
      { args: ['-u', 'root', 'user', 'list'], stdin: '' },
      { args: ['--username', 'root', 'set', '/k', 'v'], stdin: 'rootpw\n' },
      { args: ['-u', 'root', 'get', '/k'], stdin: 'rootpw' },
      // the password from the first line, the value from the rest of stdin
      { args: ['-u', 'root', 'set', '/k2'], stdin: 'rootpw\nfrom stdin\n' },
      { args: ['-u', 'root', 'get', '/k2'], stdin: 'rootpw\n' },
      // two prompts: root's password, then the new user's, one line each
      { args: ['-u', 'root', 'user', 'add', 'app2'], stdin: 'rootpw\napp2pw\n' },
      { args: ['-u', 'root', 'user', 'passwd', 'app2'], stdin: 'rootpw\nnewpw2\n' },
      // the guest role: anonymous access until it is narrowed
      { args: ['get', '/k'] },
      { args: ['-u', 'root:rootpw', 'role', 'revoke', 'guest', '--path', '/*', '--write'] },
      { args: ['set', '/k', 'anonymous'] },
      { args: ['get', '/k'] },
      // what a user's roles allow
      { args: ['-u', 'app:newpw', 'set', '/a/x', '1'] },
      { args: ['-u', 'app:newpw', 'get', '/a/x'] },
      { args: ['-u', 'app:newpw', 'set', '/b', '1'] },
      { args: ['-u', 'app:apppw', 'get', '/a/x'] },
      { args: ['-u', 'app2:newpw2', 'get', '/a/x'] },
      // root's own rules
      { args: ['-u', 'root:rootpw', 'user', 'remove', 'root'] },
      { args: ['-u', 'root:rootpw', 'role', 'remove', 'root'] },
      { args: ['-u', 'root:rootpw', 'role', 'grant', 'root', '--path', '/x', '--read'] },
      { args: ['-u', 'root:rootpw', 'role', 'remove', 'guest'] },
      { args: ['-u', 'root:rootpw', 'user', 'get', 'root'] },
      { args: ['-u', 'root:rootpw', 'user', 'remove', 'app2'] },
      { args: ['auth', 'disable'] },
      { args: ['-u', 'root:rootpw', 'auth', 'disable'] },
      { args: ['-u', 'root:rootpw', 'auth', 'disable'] },
      { args: ['user', 'list'] },
    ]);
    expect(results('role', 'list')).toEqual({ stdout: '', stderr: 'unexpected status code 401\n', code: 1 });
    expect(results('-u', 'root', 'role', 'list')).toEqual({
      stdout: 'Password: \nguest\nr1\nroot\n',
      stderr: '',
      code: 0,
    });
    expect(results('-u', 'root', 'user', 'add', 'app2')).toEqual({
      stdout: 'Password: \nNew password: \nUser app2 created\n',
      stderr: '',
      code: 0,
    });
  }, 120_000);

  test('deliberate differences: each tool`s own output', async () => {
    // `user add` of a user that exists: etcd 3.4 changes its password, etcdctl 3.4 says "created";
    // etcctl refuses, with the line etcdctl of etcd 3.5 printed.
    expect(await reference({ args: ['user', 'add', 'twice:pw1'] })).toMatchObject({ code: 0 });
    expect(await ours({ args: ['user', 'add', 'twice:pw1'] })).toMatchObject({ code: 0 });
    expect(await reference({ args: ['user', 'add', 'twice:pw2'] })).toEqual({
      stdout: 'User twice created\n',
      stderr: '',
      code: 0,
    });
    expect(await ours({ args: ['user', 'add', 'twice:pw2'] })).toEqual({
      stdout: '',
      stderr: 'User twice already exists\n',
      code: 1,
    });
    expect(await ours({ args: ['user', 'add', 'twice'] })).toEqual({
      stdout: '',
      stderr: 'User twice already exists\n',
      code: 1,
    });
    // `user passwd` of a user that does not exist: etcd creates it, etcdctl prints an empty error.
    expect(await reference({ args: ['user', 'passwd', 'ghost'], stdin: 'pw\n' })).toEqual({
      stdout: 'New password: \n',
      stderr: '\n',
      code: 1,
    });
    expect((await reference({ args: ['user', 'get', 'ghost'] })).stdout).toBe('User: ghost\nRoles: \n');
    expect(await ours({ args: ['user', 'passwd', 'ghost'], stdin: 'pw\n' })).toEqual({
      stdout: 'New password: \n',
      stderr: 'auth: User ghost does not exist.\n',
      code: 1,
    });
    expect((await ours({ args: ['user', 'get', 'ghost'] })).code).toBe(1);
    // `--roles a,b`: etcdctl grants one role named "a,b" (etcd 3.4 takes a role that does not
    // exist, and `user get` then fails); etcctl grants a and b.
    for (const tool of [ours, reference]) {
      expect(await tool({ args: ['role', 'add', 'ra'] })).toMatchObject({ code: 0 });
      expect(await tool({ args: ['role', 'add', 'rb'] })).toMatchObject({ code: 0 });
      expect(await tool({ args: ['user', 'grant', 'twice', '--roles', 'ra,rb'] })).toEqual({
        stdout: 'User twice updated\n',
        stderr: '',
        code: 0,
      });
    }
    expect(await reference({ args: ['user', 'get', 'twice'] })).toEqual({
      stdout: '',
      stderr: 'auth: Role ra,rb does not exist.\n',
      code: 1,
    });
    expect(await ours({ args: ['user', 'get', 'twice'] })).toEqual({
      stdout: 'User: twice\nRoles:   ra rb\n',
      stderr: '',
      code: 0,
    });
  }, 120_000);
});

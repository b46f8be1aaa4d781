// user, role and auth on `--api v3` (etcdV3, the v3 Auth service): the same steps run with
// `--api v2` against an etcd with the v2 API and with `--api v3` against one without it (as etcd
// 3.6 runs), started alike; stdout, stderr and the exit status must be equal (endpoint URLs
// normalised). What cannot be the same (v3 has no guest role) is asserted on its own below.
import { type EtcdCluster, startEtcd } from '@etc/etcd-launcher';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { bundleEtcctl, type Ran, runChild } from './etcctl.js';

let v2: EtcdCluster;
let v3: EtcdCluster;
let bin: string;
let removeBin: () => Promise<void>;

beforeAll(async () => {
  ({ bin, remove: removeBin } = await bundleEtcctl());
  const binary = inject('etcdBin') || undefined;
  [v2, v3] = await Promise.all([
    startEtcd({ name: 'cli-auth-v2', binary }),
    startEtcd({ name: 'cli-auth-v3', binary, v2: false }),
  ]);
}, 120_000);
afterAll(async () => {
  await Promise.all([v2?.stop(), v3?.stop()]);
  await removeBin?.();
});

interface Step {
  args: string[];
  stdin?: string;
}

const run = (api: 'v2' | 'v3', step: Step): Promise<Ran> =>
  runChild(process.execPath, [bin, '--api', api, ...step.args], {
    stdin: step.stdin ?? '',
    env: { ETCDCTL_ENDPOINTS: (api === 'v2' ? v2 : v3).url },
  });
const onV3 = async (step: Step): Promise<Ran> => {
  const ran = await run('v3', step);
  return {
    stdout: ran.stdout.replaceAll(v3.url, v2.url),
    stderr: ran.stderr.replaceAll(v3.url, v2.url),
    code: ran.code,
  };
};
/**
 * The index at the end of an error line: v2's auth writes take etcd indexes of their own, v3's do
 * not take revisions, so the two stores' indexes differ; everything else must be equal.
 */
const anyIndex = (ran: Ran): Ran => ({ ...ran, stderr: ran.stderr.replace(/ \[\d+\]$/gm, ' [N]') });

/** Runs each step on both APIs and expects equal results; resolves with a look-up of v3's. */
async function parity(steps: readonly Step[]): Promise<(...args: string[]) => Ran | undefined> {
  const results = new Map<string, Ran>();
  for (const step of steps) {
    const want = anyIndex(await run('v2', step));
    const got = anyIndex(await onV3(step));
    expect({ step, ...got }).toEqual({ step, ...want });
    results.set(JSON.stringify(step.args), got);
  }
  return (...args) => results.get(JSON.stringify(args));
}

describe('user, role and auth: --api v3 prints what --api v2 prints', () => {
  test('users and roles without auth: success, usage errors and what etcd refuses', async () => {
    const results = await parity([
      { args: ['user', 'list'] },
      { args: ['role', 'list'] },
      { args: ['user', 'add', 'root:rootpw'] },
      { args: ['user', 'add', 'app'], stdin: 'apppw\n' },
      { args: ['user', 'add', 'app:again'] },
      { args: ['user', 'add', 'nopw:'] },
      { args: ['user', 'get', 'nobody'] },
      { args: ['user', 'get', 'app'] },
      { args: ['user', 'get', 'root'] },
      { args: ['user', 'list'] },
      { args: ['user', 'remove', 'nobody'] },
      { args: ['role', 'add', 'r1'] },
      { args: ['role', 'add', 'r1'] },
      { args: ['role', 'add', 'root'] },
      { args: ['role', 'add', 'r2'] },
      { args: ['role', 'get', 'nope'] },
      { args: ['role', 'get', 'r1'] },
      { args: ['role', 'get', 'root'] },
      { args: ['role', 'list'] },
      { args: ['role', 'grant', 'r1', '--path', '/a/*', '--read'] },
      { args: ['role', 'grant', 'r1', '--path', '/a/*', '--read'] },
      { args: ['role', 'grant', 'r1', '--path', '/a/*', '--readwrite'] },
      { args: ['role', 'revoke', 'r1', '--path', '/a/*', '--write'] },
      { args: ['role', 'grant', 'r1', '--path', '/a/*', '--write'] },
      { args: ['role', 'grant', 'r1', '--path', '/b', '--rw'] },
      { args: ['role', 'revoke', 'r1', '--path', '/b', '--readwrite'] },
      { args: ['role', 'grant', 'r1', '--path', '/c*', '--read'] },
      { args: ['role', 'get', 'r1'] },
      { args: ['role', 'grant', 'nope', '--path', '/a', '--read'] },
      { args: ['role', 'revoke', 'nope', '--path', '/a', '--read'] },
      { args: ['role', 'grant', 'root', '--path', '/a', '--read'] },
      { args: ['role', 'revoke', 'root', '--path', '/*', '--read'] },
      { args: ['role', 'remove', 'root'] },
      { args: ['role', 'remove', 'nope'] },
      { args: ['role', 'grant', 'r1', '--path', 'a/../b', '--read'] },
      { args: ['user', 'grant', 'app', '--roles', 'r1', '--roles', 'r2'] },
      { args: ['user', 'get', 'app'] },
      { args: ['user', 'grant', 'app', '--roles', 'r1'] },
      { args: ['user', 'revoke', 'app', '--roles', 'r2'] },
      { args: ['user', 'get', 'app'] },
      { args: ['user', 'grant', 'nobody', '--roles', 'r1'] },
      { args: ['user', 'passwd', 'app'], stdin: 'newpw\n' },
      { args: ['user', 'passwd', 'app'], stdin: '' },
      { args: ['user', 'passwd', 'ghost'], stdin: 'pw\n' },
      { args: ['role', 'remove', 'r2'] },
      { args: ['role', 'list'] },
      { args: ['-o', 'json', 'user', 'list'] },
    ]);
    // A few spelled out, so that two equal wrong answers cannot hide.
    expect(results('role', 'get', 'r1')).toEqual({
      stdout: 'Role: r1\nKV Read:\n\t/a/*\n\t/c*\nKV Write:\n\t/a/*\n',
      stderr: '',
      code: 0,
    });
    expect(results('user', 'get', 'app')).toEqual({ stdout: 'User: app\nRoles:  r1\n', stderr: '', code: 0 });
    expect(results('role', 'list')).toEqual({ stdout: 'r1\nroot\n', stderr: '', code: 0 });
  }, 180_000);

  test('auth enable and disable, root rules, refused credentials, a restricted user', async () => {
    const results = await parity([
      { args: ['auth', 'disable'] },
      { args: ['auth', 'enable'] },
      { args: ['-u', 'root:rootpw', 'auth', 'enable'] },
      { args: ['-u', 'root:wrong', 'user', 'list'] },
      { args: ['-u', 'root:wrong', 'role', 'list'] },
      { args: ['-u', 'root:wrong', 'user', 'add', 'eve:pw'] },
      { args: ['-u', 'root:wrong', 'set', '/k', 'v'] },
      { args: ['-u', 'nobody:pw', 'ls', '/'] },
      { args: ['-u', 'app:newpw', 'user', 'list'] },
      { args: ['-u', 'app:newpw', 'auth', 'disable'] },
      { args: ['-u', 'root', 'user', 'list'], stdin: 'rootpw\n' },
      { args: ['-u', 'root', 'user', 'add', 'app2'], stdin: 'rootpw\napp2pw\n' },
      { args: ['-u', 'root:rootpw', 'set', '/a/x', 'one'] },
      { args: ['-u', 'root:rootpw', 'set', '/secret', 'two'] },
      // app has r1: read and write /a/*, read /c*.
      { args: ['-u', 'app:newpw', 'set', '/a/x', '1'] },
      { args: ['-u', 'app:newpw', 'get', '/a/x'] },
      { args: ['-u', 'app:newpw', 'mkdir', '/a/d'] },
      { args: ['-u', 'app:newpw', 'get', '/secret'] },
      { args: ['-u', 'app:newpw', 'set', '/secret', 'mine'] },
      { args: ['-u', 'app:newpw', 'get', '/c/missing'] },
      { args: ['-u', 'app2:app2pw', 'get', '/a/x'] },
      { args: ['-u', 'root:rootpw', 'user', 'remove', 'root'] },
      { args: ['-u', 'root:rootpw', 'role', 'remove', 'root'] },
      { args: ['-u', 'root:rootpw', 'user', 'get', 'root'] },
      { args: ['-u', 'root:rootpw', 'user', 'remove', 'app2'] },
      { args: ['auth', 'disable'] },
      { args: ['-u', 'root:rootpw', 'auth', 'disable'] },
      { args: ['-u', 'root:rootpw', 'auth', 'disable'] },
      { args: ['get', '/secret'] },
      { args: ['user', 'list'] },
    ]);
    // Auth is off: any caller may turn it on (and the next call is refused as already on).
    expect(results('auth', 'enable')).toEqual({
      stdout: 'Authentication Enabled\n',
      stderr: '',
      code: 0,
    });
    expect(results('-u', 'app:newpw', 'get', '/secret')).toMatchObject({
      stderr: expect.stringContaining('110'),
      code: 4,
    });
  }, 180_000);

  test('what v3 cannot do as v2: no guest role, no grant of a missing role, waits need the whole tree', async () => {
    const root = ['-u', 'root:rootpw'];
    // etcd 3.4's v2 grants a role that does not exist (and `user get` fails afterwards); v3 refuses it.
    expect(await run('v3', { args: [...root, 'user', 'grant', 'app', '--roles', 'zz'] })).toEqual({
      stdout: '',
      stderr: 'auth: Role zz does not exist.\n',
      code: 1,
    });
    for (const api of ['v2', 'v3'] as const) {
      expect((await run(api, { args: [...root, 'auth', 'enable'] })).code).toBe(0);
    }
    // v2 gives anonymous requests the guest role (read and write of everything until changed).
    expect(await run('v2', { args: ['get', '/secret'] })).toEqual({ stdout: 'two\n', stderr: '', code: 0 });
    expect((await run('v2', { args: ['role', 'list'], stdin: '' })).code).not.toBe(0);
    const anonymous = await onV3({ args: ['get', '/secret'] });
    expect(anonymous.stdout).toBe('');
    expect(anonymous.stderr).toMatch(/110/);
    expect(anonymous.code).not.toBe(0);
    expect((await run('v2', { args: [...root, 'role', 'list'] })).stdout).toBe('guest\nr1\nroot\n');
    expect((await run('v3', { args: [...root, 'role', 'list'] })).stdout).toBe('r1\nroot\n');
    // A user whose roles cover part of the tree cannot watch on v3 (every wait watches all of it).
    const watch = await run('v3', { args: ['-u', 'app:newpw', 'watch', '/a/x'] });
    expect(watch.code).not.toBe(0);
    expect(watch.stderr).toMatch(/watch of the whole tree/);
    for (const api of ['v2', 'v3'] as const) {
      expect((await run(api, { args: [...root, 'auth', 'disable'] })).code).toBe(0);
    }
  }, 120_000);
});

// etcctl's key commands, run as child processes against a real etcd member of this file's own (so
// that nothing else moves its index between two runs), compared with etcdctl v2 where it exists.
import { type EtcdCluster, freePort, startEtcd } from '@etc/etcd-launcher';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { bundleEtcctl, etcdctl, etcdctlPath, type Ran, type RunOptions, runChild } from './etcctl.js';

let etcd: EtcdCluster;
let bin: string;
let removeBin: () => Promise<void>;

beforeAll(async () => {
  const bundled = await bundleEtcctl();
  bin = bundled.bin;
  removeBin = bundled.remove;
  etcd = await startEtcd({ name: 'cli-keys', binary: inject('etcdBin') || undefined });
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
const theirs = (args: readonly string[], options: RunOptions = {}) =>
  etcdctl(args, { ...options, env: { ETCDCTL_ENDPOINTS: etcd.url, ...options.env } });

const skipReason = etcdctlPath === undefined ? ' (skipped: etcdctl of Debian etcd-client not installed)' : '';

/** The same command through both tools at once-identical state: byte for byte. */
async function same(args: readonly string[], options: RunOptions = {}): Promise<Ran> {
  const mine = await ours(args, options);
  if (etcdctlPath !== undefined) expect(mine).toEqual(await theirs(args, options));
  return mine;
}

/** Indexes, in-order key names, expirations and the per-tool key prefix made comparable. */
const normalize = (ran: Ran, prefix: string): Ran => {
  const clean = (text: string) =>
    text
      .replaceAll(prefix, '/P')
      .replace(/\d{20}/g, 'ORDER')
      .replace(/(Index": ?|Index: |\[| != )\d+/g, '$1N')
      // etcd sends nanoseconds, the client keeps milliseconds (a documented difference); TTLs tick.
      .replace(/"expiration":"[^"]+"/g, '"expiration":"E"')
      .replace(/("ttl":|TTL: )\d+/g, '$1T');
  return { stdout: clean(ran.stdout), stderr: clean(ran.stderr), code: ran.code };
};

describe('writes, as etcdctl v2 prints them', () => {
  // Each step runs on /cmp/ours through etcctl and /cmp/theirs through etcdctl (when installed).
  const steps: Array<{ args: (k: (name: string) => string) => string[]; code: number; stdin?: string }> = [
    { args: (k) => ['set', k('a'), '1'], code: 0 },
    { args: (k) => ['-o', 'json', 'set', k('a'), '2'], code: 0 },
    { args: (k) => ['-o', 'extended', 'set', k('a'), '3'], code: 0 },
    { args: (k) => ['set', '--swap-with-value', '3', k('a'), '4'], code: 0 },
    { args: (k) => ['set', '--swap-with-value', 'nope', k('a'), '5'], code: 4 },
    { args: (k) => ['set', '--swap-with-index', '1', k('a'), '5'], code: 4 },
    { args: (k) => ['set', k('s')], stdin: 'from stdin\n', code: 0 },
    { args: (k) => ['set', k('s2')], stdin: '', code: 1 },
    { args: (k) => ['mk', k('a'), 'x'], code: 4 },
    { args: (k) => ['-o', 'extended', 'mk', k('m'), 'x'], code: 0 },
    { args: (k) => ['-o', 'json', 'mk', '--in-order', k('q'), 'job'], code: 0 },
    { args: (k) => ['mk', '--in-order', k('q'), 'job2'], code: 0 },
    { args: (k) => ['mkdir', k('d')], code: 0 },
    { args: (k) => ['-o', 'json', 'mkdir', k('d2')], code: 0 },
    { args: (k) => ['mkdir', k('d')], code: 4 },
    { args: (k) => ['-o', 'extended', 'setdir', k('d3')], code: 0 },
    { args: (k) => ['setdir', k('d3')], code: 4 },
    { args: (k) => ['update', k('a'), 'u'], code: 0 },
    { args: (k) => ['-o', 'json', 'update', k('a'), 'u2'], code: 0 },
    { args: (k) => ['update', k('nope'), 'u'], code: 4 },
    { args: (k) => ['-o', 'extended', 'updatedir', '--ttl', '1000', k('d')], code: 0 },
    { args: (k) => ['updatedir', k('a')], code: 0 }, // etcd 3.4 lets a file be 'updated' as a dir
    { args: (k) => ['get', k('nope')], code: 4 },
    { args: (k) => ['-o', 'json', 'get', k('nope')], code: 4 },
    { args: (k) => ['get', k('d')], code: 1 },
    { args: (k) => ['rm', k('a')], code: 0 },
    { args: (k) => ['-o', 'json', 'rm', k('m')], code: 0 },
    { args: (k) => ['rm', k('d2')], code: 4 },
    { args: (k) => ['rm', '--dir', k('d2')], code: 0 },
    { args: (k) => ['-o', 'extended', 'rm', '--dir', k('d3')], code: 0 },
    { args: (k) => ['set', k('c'), 'v'], code: 0 },
    { args: (k) => ['rm', '--with-value', 'w', k('c')], code: 4 },
    { args: (k) => ['rm', '--with-value', 'v', k('c')], code: 0 },
    { args: (k) => ['rmdir', k('q')], code: 4 },
    { args: (k) => ['ls', k('q')], code: 0 },
    { args: (k) => ['-o', 'json', 'ls', '--recursive', '--sort', k('')], code: 0 },
    { args: (k) => ['-o', 'extended', 'ls', k('q')], code: 0 },
    { args: (k) => ['ls', '-r', '-p', '--sort', k('')], code: 0 },
    { args: (k) => ['rm', '--recursive', k('q')], code: 0 },
    { args: (k) => ['rmdir', k('d')], code: 0 },
  ];

  test(`each step's output and status equal etcdctl's, indexes aside${skipReason}`, async () => {
    const mine = (name: string) => `/cmp/ours/${name}`.replace(/\/$/, '');
    const ref = (name: string) => `/cmp/theirs/${name}`.replace(/\/$/, '');
    for (const step of steps) {
      const options = step.stdin === undefined ? {} : { stdin: step.stdin };
      const got = await ours(step.args(mine), options);
      expect({ args: step.args(mine), code: got.code }).toEqual({ args: step.args(mine), code: step.code });
      if (etcdctlPath !== undefined) {
        const want = await theirs(step.args(ref), options);
        expect({ args: step.args(mine), ...normalize(got, '/cmp/ours') }).toEqual({
          args: step.args(mine),
          ...normalize(want, '/cmp/theirs'),
        });
      }
    }
  }, 120_000);
});

describe('reads at one state, byte for byte', () => {
  beforeAll(async () => {
    for (const args of [
      ['set', '/r/a', 'A & <b> "q" \u2028 é'],
      ['set', '/r/dir/x', '1'],
      ['mkdir', '/r/empty'],
      ['set', '/r/dir/deeper/y', 'multi\nline'],
    ]) {
      expect((await ours(args)).code).toBe(0);
    }
  });

  test.each([
    [['get', '/r/a']],
    [['-o', 'json', 'get', '/r/a']],
    [['-o', 'extended', 'get', '/r/a']],
    [['get', '--quorum', '/r/dir/deeper/y']],
    [['ls', '--sort', '/r']],
    [['ls', '--sort', '-p', '/r']],
    [['ls', '--recursive', '--sort', '-p', '/r']],
    [['-o', 'json', 'ls', '--recursive', '--sort', '/r']],
    [['-o', 'extended', 'ls', '/r/empty']],
    [['ls', '/r/a']],
    [['-o', 'json', 'ls', '/r/empty']],
    [['-o', 'json', 'ls', '/r/dir/deeper']],
    [['-o', 'extended', 'ls']],
    [['member', 'list']],
    [['cluster-health']],
  ])(`%j${skipReason}`, async (args) => {
    const ran = await same(args);
    expect(ran.code).toBe(0);
    expect(ran.stdout).not.toBe('');
  });

  test(`get of a directory: status 1, as etcdctl v2${skipReason}`, async () => {
    expect(await same(['get', '/r/dir'])).toEqual({
      stdout: '',
      stderr: '/r/dir: is a directory\n',
      code: 1,
    });
    expect(await same(['get', '/'])).toEqual({ stdout: '', stderr: ': is a directory\n', code: 1 });
  });

  test('the values themselves', async () => {
    expect((await ours(['get', '/r/a'])).stdout).toBe('A & <b> "q" \u2028 é\n');
    expect((await ours(['-o', 'json', 'get', '/r/a'])).stdout).toMatch(
      /^\{"action":"get","node":\{"key":"\/r\/a","value":"A \\u0026 \\u003cb\\u003e \\"q\\" \\u2028 é","nodes":null,"createdIndex":\d+,"modifiedIndex":\d+\},"prevNode":null\}\n$/,
    );
    expect((await ours(['ls', '--recursive', '--sort', '-p', '/r'])).stdout).toBe(
      '/r/a\n/r/dir/\n/r/dir/deeper/\n/r/dir/deeper/y\n/r/dir/x\n/r/empty/\n',
    );
  });
});

describe('bad input', () => {
  test('an unknown command: status 3, as etcdctl v2', async () => {
    const ran = await ours(['frob']);
    expect(ran.code).toBe(3);
    expect(ran.stderr).toContain("unknown command 'frob'");
    if (etcdctlPath !== undefined) expect((await theirs(['frob'])).code).toBe(3);
  });

  test('a missing argument: etcdctl v2 line, status 1', async () => {
    for (const command of [
      'get',
      'set',
      'mk',
      'mkdir',
      'setdir',
      'update',
      'updatedir',
      'rm',
      'rmdir',
      'watch',
    ]) {
      const ran = await ours([command]);
      expect({ command, ...ran }).toEqual({ command, stdout: '', stderr: 'Error:  key required\n', code: 1 });
    }
    expect(await ours(['exec-watch', '/k'])).toEqual({
      stdout: '',
      stderr: 'Error:  key and command to exec required\n',
      code: 1,
    });
  });

  test('bad flag values: status 1 before anything is sent', async () => {
    const bad = await ours(['-o', 'bogus', 'set', '/bad/o', 'x']);
    expect(bad).toEqual({ stdout: '', stderr: 'Unsupported output format: bogus\n', code: 1 });
    expect((await ours(['get', '/bad/o'])).code).toBe(4); // nothing was written
    const ttl = await ours(['set', '--ttl', 'soon', '/bad/t', 'x']);
    expect(ttl.code).toBe(1);
    expect(ttl.stderr).toContain('--ttl takes a non-negative integer');
    const timeout = await ours(['--timeout', 'fast', 'get', '/bad/t']);
    expect(timeout.code).toBe(1);
    expect(timeout.stderr).toContain('invalid value "fast" for flag --timeout');
    const api = await ours(['--api', 'v4', 'get', '/bad/t']);
    expect(api).toEqual({ stdout: '', stderr: 'Error:  --api must be v2 or v3, not v4\n', code: 1 });
  });

  test('--api v3: the same commands through @etc/transport-v3 (a dependency of etcctl)', async () => {
    const v3 = ['--api', 'v3', '--prefix', '/cli-keys-v3'];
    expect(await ours([...v3, 'set', '/a', 'through v3'])).toEqual({
      stdout: 'through v3\n',
      stderr: '',
      code: 0,
    });
    expect(await ours([...v3, 'get', '/a'])).toEqual({ stdout: 'through v3\n', stderr: '', code: 0 });
    const prefix = await ours(['--prefix', '/p', 'get', '/a']);
    expect(prefix.code).toBe(1);
    expect(prefix.stderr).toContain('--prefix');
  });

  test('an unreachable endpoint: one line, status 2, as etcdctl v2', async () => {
    const port = await freePort();
    const ran = await ours(['--endpoints', `http://127.0.0.1:${port}`, 'get', '/a']);
    expect(ran.code).toBe(2);
    expect(ran.stdout).toBe('');
    expect(ran.stderr).toMatch(/^Error: {2}client: etcd cluster is unavailable or misconfigured; .+\n$/);
    expect(ran.stderr).not.toContain('    at ');
    if (etcdctlPath !== undefined) {
      expect((await theirs(['--endpoints', `http://127.0.0.1:${port}`, 'get', '/a'])).code).toBe(2);
    }
    const dead = await ours(['--endpoints', `127.0.0.1:${port}`, 'member', 'list']);
    expect(dead.code).toBe(2);
  });

  test('--help for every command, status 0', async () => {
    const commands = [
      ['get'],
      ['set'],
      ['mk'],
      ['mkdir'],
      ['setdir'],
      ['update'],
      ['updatedir'],
      ['rm'],
      ['rmdir'],
      ['ls'],
      ['watch'],
      ['exec-watch'],
      ['member'],
      ['member', 'list'],
      ['member', 'add'],
      ['member', 'remove'],
      ['member', 'update'],
      ['cluster-health'],
      ['user'],
      ['user', 'add'],
      ['user', 'get'],
      ['user', 'list'],
      ['user', 'remove'],
      ['user', 'grant'],
      ['user', 'revoke'],
      ['user', 'passwd'],
      ['role'],
      ['role', 'add'],
      ['role', 'get'],
      ['role', 'list'],
      ['role', 'remove'],
      ['role', 'grant'],
      ['role', 'revoke'],
      ['auth'],
      ['auth', 'enable'],
      ['auth', 'disable'],
    ];
    for (const command of commands) {
      const ran = await ours([...command, '--help']);
      expect({ command, code: ran.code, stderr: ran.stderr }).toEqual({ command, code: 0, stderr: '' });
      expect(ran.stdout).toContain(`Usage: etcctl ${command.join(' ')}`);
    }
    const top = await ours(['--help']);
    expect(top.code).toBe(0);
    for (const name of ['get', 'exec-watch', 'cluster-health', '--endpoints', '--total-timeout']) {
      expect(top.stdout).toContain(name);
    }
  }, 120_000);

  test('--version', async () => {
    const ran = await ours(['--version']);
    expect(ran).toEqual({
      stdout: expect.stringMatching(/^etcctl version: \d+\.\d+\.\d+\nAPI version: 2\n$/),
      stderr: '',
      code: 0,
    });
  });
});

describe('members', () => {
  test('member remove/update/add of what is not there: etcdctl v2 lines, status 1', async () => {
    const remove = await ours(['member', 'remove', 'abc']);
    expect(remove).toEqual({
      stdout: '',
      stderr: "Couldn't find a member in the cluster with an ID of abc.\n",
      code: 1,
    });
    const add = await ours(['member', 'add', 'only-a-name']);
    expect(add).toEqual({ stdout: '', stderr: 'Provide a name and a single member peerURL\n', code: 1 });
    const update = await ours(['member', 'update', 'abc']);
    expect(update.code).toBe(1);
    expect(update.stderr).toContain('Provide an ID and a list of comma separated peerURL');
  });

  test('member update of the member to its own peer URL', async () => {
    const list = await ours(['member', 'list']);
    const id = /^([0-9a-f]+): name=/.exec(list.stdout)?.[1];
    const peer = /peerURLs=(\S+)/.exec(list.stdout)?.[1];
    expect(id).toBeDefined();
    const ran = await same(['member', 'update', id as string, peer as string]);
    expect(ran).toEqual({ stdout: `Updated member with ID ${id} in cluster\n`, stderr: '', code: 0 });
  });
});

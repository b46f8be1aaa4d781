// Bad input across commands, the built etcctl against Debian's etcdctl v2 (ETCDCTL_API=2) on the
// shared etcd (nothing here writes): the exit status always, stderr byte for byte where etcdctl's
// is sane. Where etcctl differs on purpose (README, "What differs from etcdctl v2"), both sides
// are asserted. Every exit status the README documents is produced by a test: 0-4 and 130/143/129
// here and in signals.test.ts, 5 in member.test.ts.
import { createServer, type Server, type Socket } from 'node:net';
import { freePort } from '@etc/etcd-launcher';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { bundleEtcctl, etcdctl, etcdctlPath, type Ran, type RunOptions, runChild } from './etcctl.js';

const url = inject('etcdUrl');
let bin: string;
let removeBin: () => Promise<void>;

beforeAll(async () => {
  ({ bin, remove: removeBin } = await bundleEtcctl());
});
afterAll(async () => {
  await removeBin?.();
});

const ours = (args: readonly string[], options: RunOptions = {}) =>
  runChild(process.execPath, [bin, ...args], { ...options, env: { ETCDCTL_ENDPOINTS: url, ...options.env } });
const theirs = (args: readonly string[], options: RunOptions = {}) =>
  etcdctl(args, { ...options, env: { ETCDCTL_ENDPOINTS: url, ...options.env } });
const skipReason =
  etcdctlPath === undefined ? ' (etcdctl of Debian etcd-client not installed: ours only)' : '';

/** Runs `args` through both tools; expects `expected` of etcctl and the same of etcdctl when there. */
async function both(
  args: readonly string[],
  expected: Partial<Ran>,
  compare: Array<keyof Ran>,
): Promise<void> {
  const got = await ours(args);
  expect({ args, ...got }).toMatchObject({ args, ...expected });
  expect(got.stderr).not.toMatch(/\n\s+at /);
  if (etcdctlPath === undefined) return;
  const want = await theirs(args);
  const pick = (ran: Ran) => Object.fromEntries(compare.map((field) => [field, ran[field]]));
  expect({ args, ...pick(got) }).toEqual({ args, ...pick(want) });
}

describe(`missing and extra arguments: as etcdctl v2, byte for byte${skipReason}`, () => {
  test.each([
    [['get'], 'Error:  key required\n'],
    [['set'], 'Error:  key required\n'],
    [['mk'], 'Error:  key required\n'],
    [['mkdir'], 'Error:  key required\n'],
    [['setdir'], 'Error:  key required\n'],
    [['update'], 'Error:  key required\n'],
    [['updatedir'], 'Error:  key required\n'],
    [['rm'], 'Error:  key required\n'],
    [['rm', '-r'], 'Error:  key required\n'],
    [['rmdir'], 'Error:  key required\n'],
    [['watch'], 'Error:  key required\n'],
    [['exec-watch'], 'Error:  key and command to exec required\n'],
    [['exec-watch', '/k'], 'Error:  key and command to exec required\n'],
    [['set', '/bad-input/k'], 'Error:  value required\n'],
    [['mk', '/bad-input/k'], 'Error:  value required\n'],
    [['update', '/bad-input/k'], 'Error:  value required\n'],
    [['member', 'add'], 'Provide a name and a single member peerURL\n'],
    [['member', 'add', 'x'], 'Provide a name and a single member peerURL\n'],
    [['member', 'remove'], 'Provide a single member ID\n'],
    [
      ['member', 'update', 'x'],
      'Provide an ID and a list of comma separated peerURL (0xabcd http://example.com,http://example1.com)\n',
    ],
    [['member', 'list', 'x'], 'No arguments accepted\n'],
    [['user', 'add'], 'Please provide a username\n'],
    [['user', 'get', 'a', 'b'], 'Please provide a username\n'],
    [['user', 'remove'], 'Please provide a username\n'],
    [['user', 'passwd'], 'Please provide a username\n'],
    [['user', 'grant', 'a'], 'No roles specified; please use `--roles`\n'],
    [['user', 'revoke', '--roles', 'r'], 'Please provide a username\n'],
    [['user', 'list', 'x'], 'No arguments accepted\n'],
    [['role', 'add'], 'Please provide a role name\n'],
    [['role', 'get'], 'Please provide a role name\n'],
    [['role', 'remove', 'a', 'b'], 'Please provide a role name\n'],
    [['role', 'grant', 'r'], 'No path specified; please use `--path`\n'],
    [
      ['role', 'revoke', 'r', '--path', '/a'],
      'Please specify exactly one of --read, --write or --readwrite\n',
    ],
    [['role', 'grant', '--path', '/a', '--rw'], 'Please provide a role name\n'],
    [['role', 'list', 'x'], 'No arguments accepted\n'],
    [['auth', 'enable', 'x'], 'No arguments accepted\n'],
    [['auth', 'disable', 'x'], 'No arguments accepted\n'],
  ])('%j', async (args, stderr) => {
    await both(args, { stdout: '', stderr, code: 1 }, ['stdout', 'stderr', 'code']);
  });

  test('more arguments than a key command takes: refused (etcdctl v2 used the first and ignored the rest)', async () => {
    const got = await ours(['set', '/bad-input/extra', 'hello', 'world']);
    expect(got).toEqual({
      stdout: '',
      stderr: "error: too many arguments for 'set'. Expected 2 arguments but got 3.\n",
      code: 1,
    });
    expect((await ours(['get', '/bad-input/extra'])).code).toBe(4); // nothing was written
  });
});

describe(`unknown flags and flags without their value: Go's flag line, status 1${skipReason}`, () => {
  // etcdctl v2 also printed the command's help on stdout after the line; etcctl does not.
  test.each([
    [['--frob', 'get', '/k'], 'flag provided but not defined: -frob\n'],
    [['get', '--frob', '/k'], 'flag provided but not defined: -frob\n'],
    [['get', '--frob=1', '/k'], 'flag provided but not defined: -frob\n'],
    [['watch', '-z', '/k'], 'flag provided but not defined: -z\n'],
    [['user', 'add', '--frob', 'x'], 'flag provided but not defined: -frob\n'],
    [['member', 'list', '--frob'], 'flag provided but not defined: -frob\n'],
    [['--timeout'], 'flag needs an argument: -timeout\n'],
    [['-o'], 'flag needs an argument: -o\n'],
    [['--endpoints'], 'flag needs an argument: -endpoints\n'],
    // (etcdctl v2 moved a command's flags before its arguments: `set /k v --ttl` read /k as the TTL.)
    [['set', '--ttl'], 'flag needs an argument: -ttl\n'],
    [['role', 'grant', '--path'], 'flag needs an argument: -path\n'],
  ])('%j', async (args, stderr) => {
    await both(args, { stdout: '', stderr, code: 1 }, ['stderr', 'code']);
  });

  test('a bad flag value: status 1 as etcdctl v2, etcctl saying what it takes', async () => {
    await both(
      ['--timeout', 'soon', 'get', '/k'],
      {
        stdout: '',
        stderr:
          'invalid value "soon" for flag --timeout: a duration such as 2s, 1.5s, 500ms, 1m, or milliseconds\n',
        code: 1,
      },
      ['code'],
    );
    await both(['set', '--ttl', 'x', '/k', 'v'], { stdout: '', code: 1 }, ['code']);
  });
});

describe(`unknown commands: status 3, as etcdctl v2${skipReason}`, () => {
  test.each([[['frob']], [['user', 'frob']], [['member', 'frob']]])('%j', async (args) => {
    const name = args.at(-1);
    // etcdctl v2: "No help topic for 'frob'"; etcctl: commander's line.
    await both(args, { stdout: '', stderr: `error: unknown command '${name}'\n`, code: 3 }, ['code']);
  });

  test.each([[[]], [['user']], [['role']], [['member']], [['auth']]])(
    'no command: the help on stdout, status 0, as etcdctl v2: %j',
    async (args) => {
      const got = await ours(args);
      expect({ code: got.code, stderr: got.stderr }).toEqual({ code: 0, stderr: '' });
      expect(got.stdout).toMatch(new RegExp(`^Usage: etcctl ${args.join(' ')}`.trimEnd()));
      if (etcdctlPath !== undefined) {
        const want = await theirs(args);
        expect({ code: want.code, stderr: want.stderr }).toEqual({ code: 0, stderr: '' });
        expect(want.stdout).toMatch(/^NAME:/);
      }
    },
  );

  test('a near miss gets a suggestion', async () => {
    expect(await ours(['gett', '/k'])).toEqual({
      stdout: '',
      stderr: "error: unknown command 'gett'\n(Did you mean get?)\n",
      code: 3,
    });
  });
});

describe(`bad --endpoints: refused before anything is sent, status 1${skipReason}`, () => {
  test.each([
    ['://bad', 'Error:  endpoint "://bad" must start with http:// or https://\n'],
    ['http://[::1', 'Error:  endpoint "http://[::1" is not a URL (expected e.g. "http://127.0.0.1:2379")\n'],
  ])('%s: status 1 as etcdctl v2, named as typed', async (endpoint, stderr) => {
    await both(['--endpoints', endpoint, 'get', '/k'], { stdout: '', stderr, code: 1 }, ['stdout', 'code']);
  });

  test('an invalid port or a scheme etcd does not speak: 1 (etcdctl v2 tried them: 2 and 4)', async () => {
    const port = await ours(['--endpoints', 'http://127.0.0.1:99999', 'get', '/k']);
    expect(port).toEqual({
      stdout: '',
      stderr:
        'Error:  endpoint "http://127.0.0.1:99999" is not a URL (expected e.g. "http://127.0.0.1:2379")\n',
      code: 1,
    });
    const scheme = await ours(['--endpoints', 'ftp://127.0.0.1:2379', 'get', '/k']);
    expect(scheme).toEqual({
      stdout: '',
      stderr: 'Error:  endpoint "ftp://127.0.0.1:2379" must use http: or https:, not ftp:\n',
      code: 1,
    });
    if (etcdctlPath !== undefined) {
      expect((await theirs(['--endpoints', 'http://127.0.0.1:99999', 'get', '/k'])).code).toBe(2);
      expect((await theirs(['--endpoints', 'ftp://127.0.0.1:2379', 'get', '/k'])).code).toBe(4);
    }
  });
});

describe(`an unreachable cluster: status 2, etcdctl v2's first words${skipReason}`, () => {
  const unavailable = /^Error: {2}client: etcd cluster is unavailable or misconfigured; /;
  let refused: string;
  let silent: Server;
  let silentUrl: string;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    refused = `http://127.0.0.1:${await freePort()}`;
    // Accepts connections and never answers: requests time out.
    silent = createServer((socket) => {
      sockets.push(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    silentUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent?.close(resolve));
  });

  test.each([
    [['get', '/k']],
    [['set', '/k', 'v']],
    [['ls']],
    [['watch', '/k']],
    [['member', 'list']],
    [['user', 'list']],
    [['role', 'get', 'r']],
    [['auth', 'enable']],
  ])('connection refused: %j', async (args) => {
    const got = await ours(['--endpoints', refused, ...args]);
    expect(got.code).toBe(2);
    expect(got.stdout).toBe('');
    expect(got.stderr).toMatch(unavailable);
    expect(got.stderr).toBe(`${got.stderr.split('\n')[0]}\n`); // one line
    if (etcdctlPath !== undefined) {
      const want = await theirs(['--endpoints', refused, ...args]);
      expect(want.code).toBe(2);
      expect(want.stderr).toMatch(unavailable);
    }
  });

  test('no answer within --timeout: status 2 (etcdctl v2: 2 for keys, 1 for user/role/auth)', async () => {
    for (const args of [
      ['get', '/k'],
      ['user', 'list'],
    ]) {
      const got = await ours([
        '--endpoints',
        silentUrl,
        '--timeout',
        '300ms',
        '--total-timeout',
        '1s',
        ...args,
      ]);
      expect({ args, code: got.code, stdout: got.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(got.stderr).toMatch(unavailable);
      expect(got.stderr).toContain('timed out');
    }
  });

  test('cluster-health: status 2 as well (etcdctl v2: 4)', async () => {
    const got = await ours(['--endpoints', refused, 'cluster-health']);
    expect(got.code).toBe(2);
    expect(got.stdout).toBe('cluster may be unhealthy: failed to list members\n');
    expect(got.stderr).toMatch(unavailable);
    if (etcdctlPath !== undefined) {
      const want = await theirs(['--endpoints', refused, 'cluster-health']);
      expect({ code: want.code, stdout: want.stdout }).toEqual({
        code: 4,
        stdout: 'cluster may be unhealthy: failed to list members\n',
      });
    }
  });
});

// watch and exec-watch, run as child processes against the shared etcd. Each waits from an index
// taken before the writes (--after-index), so no test depends on when a watch is established.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { bundleEtcctl, etcdctl, etcdctlPath, type RunOptions, runChild } from './etcctl.js';

const url = inject('etcdUrl');
const root = `/cli-watch-${process.pid}`;
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

/** The current etcd index (X-Etcd-Index of a read of the root). */
async function currentIndex(): Promise<number> {
  const response = await fetch(`${url}/v2/keys/`);
  await response.arrayBuffer();
  return Number(response.headers.get('x-etcd-index'));
}

/**
 * Starts etcctl and resolves once its stdout has `lines` lines, then interrupts it (SIGINT) and
 * resolves with what it printed and its status. Killed (and failing) after 20 s.
 */
function untilLines(
  args: readonly string[],
  lines: number,
  tool: 'etcctl' | 'etcdctl' = 'etcctl',
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const [file, argv, env] =
      tool === 'etcctl'
        ? [process.execPath, [bin, ...args], {}]
        : [etcdctlPath as string, [...args], { ETCDCTL_API: '2' }];
    const child = spawn(file, argv, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, ETCDCTL_ENDPOINTS: url, ...env },
    });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (!interrupted && stdout.split('\n').length > lines) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
  });
}

describe('watch', () => {
  test('without --forever: the first change after --after-index, then exit 0', async () => {
    const key = `${root}/once`;
    const from = await currentIndex();
    expect((await ours(['set', key, 'one'])).code).toBe(0);
    expect((await ours(['set', key, 'two'])).code).toBe(0);
    const ran = await ours(['watch', '--after-index', String(from), key]);
    expect(ran).toEqual({ stdout: 'one\n', stderr: '', code: 0 });
    const json = await ours(['-o', 'json', 'watch', '--after-index', String(from + 1), key]);
    expect(json.stdout).toMatch(
      /^\{"action":"set","node":\{"key":"[^"]+\/once","value":"two",.*"prevNode":\{.*"value":"one"/,
    );
    if (etcdctlPath !== undefined) {
      const env = { ETCDCTL_ENDPOINTS: url };
      const theirs = await etcdctl(['watch', '--after-index', String(from), key], { env });
      expect(ran).toEqual(theirs);
    }
  });

  test('--recursive prints [action] key first; directories are skipped; a delete prints PrevNode.Value', async () => {
    const dir = `${root}/rec`;
    const from = await currentIndex();
    expect((await ours(['mkdir', `${dir}/sub`])).code).toBe(0);
    expect((await ours(['set', `${dir}/sub/k`, 'v'])).code).toBe(0);
    expect((await ours(['rm', `${dir}/sub/k`])).code).toBe(0);
    const ran = await ours(['watch', '--recursive', '--after-index', String(from), dir]);
    expect(ran).toEqual({ stdout: `[set] ${dir}/sub/k\nv\n`, stderr: '', code: 0 });
    const deleted = await ours(['watch', '-r', '--after-index', String(from + 2), dir]);
    expect(deleted.stdout).toBe(`[delete] ${dir}/sub/k\nPrevNode.Value: v\n`);
  });

  test('--forever prints every change until interrupted (Ctrl+C: status 130)', async () => {
    const key = `${root}/forever`;
    const from = await currentIndex();
    for (const value of ['a', 'b', 'c']) expect((await ours(['set', key, value])).code).toBe(0);
    const ran = await untilLines(['watch', '--forever', '--after-index', String(from), key], 3);
    expect(ran).toEqual({ stdout: 'a\nb\nc\n', stderr: '', code: 130 });
  });

  test('a history etcd has cleared: etcd error 401, status 4', async () => {
    const key = `${root}/cleared`;
    const from = await currentIndex();
    // etcd keeps the last 1000 events: 1010 writes (10 at a time) push `from` out of it.
    for (let batch = 0; batch < 101; batch++) {
      await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const response = await fetch(`${url}/v2/keys${key}/${i}`, {
            method: 'PUT',
            body: new URLSearchParams({ value: String(batch) }),
          });
          await response.arrayBuffer();
          expect(response.ok).toBe(true);
        }),
      );
    }
    const ran = await ours(['watch', '--recursive', '--after-index', String(from), key]);
    expect(ran.code).toBe(4);
    expect(ran.stderr).toMatch(/^Error: {2}401: The event in requested index is outdated and cleared/);
  }, 60_000);
});

describe('exec-watch', () => {
  test('runs the command per change with ETCD_WATCH_* in its environment, one after the other', async () => {
    const dir = `${root}/exec`;
    const from = await currentIndex();
    expect((await ours(['set', `${dir}/a`, 'x y'])).code).toBe(0);
    expect((await ours(['mkdir', `${dir}/d`])).code).toBe(0);
    expect((await ours(['rm', `${dir}/a`])).code).toBe(0);
    const ran = await untilLines(
      [
        'exec-watch',
        '--recursive',
        '--after-index',
        String(from),
        dir,
        '--',
        'sh',
        '-c',
        'echo "$ETCD_WATCH_ACTION|$ETCD_WATCH_KEY|$ETCD_WATCH_VALUE|$ETCD_WATCH_MODIFIED_INDEX"',
      ],
      2,
    );
    expect(ran.code).toBe(130);
    expect(ran.stdout).toBe(`set|${dir}/a|x y|${from + 1}\ndelete|${dir}/a||${from + 3}\n`);
    expect(ran.stderr).toBe(`Ignored dir ${dir}/d change\n`);
  });

  test(`the key last, after the command (the form Debian's etcdctl 3.4 needs): as etcdctl v2`, async () => {
    const key = `${root}/exec-last`;
    const from = await currentIndex();
    expect((await ours(['set', key, 'v1'])).code).toBe(0);
    const args = [
      'exec-watch',
      '--after-index',
      String(from),
      '--',
      'sh',
      '-c',
      'echo "$ETCD_WATCH_ACTION $ETCD_WATCH_KEY=$ETCD_WATCH_VALUE"',
      key,
    ];
    const ran = await untilLines(args, 1);
    expect(ran).toEqual({ stdout: `set ${key}=v1\n`, stderr: '', code: 130 });
    if (etcdctlPath !== undefined) {
      const theirs = await untilLines(args, 1, 'etcdctl');
      expect(theirs).toEqual({ stdout: ran.stdout, stderr: '', code: 0 });
    }
  });

  test('a command that cannot start: status 1', async () => {
    const key = `${root}/exec-missing`;
    const from = await currentIndex();
    expect((await ours(['set', key, 'v'])).code).toBe(0);
    const ran = await ours(['exec-watch', '--after-index', String(from), key, '--', '/nonexistent/command']);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain('/nonexistent/command');
  });
});

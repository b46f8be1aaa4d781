// A reader that stops reading: `etcctl ... | head -n 1`, the built etcctl against an etcd of this
// file's own (its thousands of writes must not push other files' watches out of etcd's history).
// etcdctl v2 died of SIGPIPE there (a shell shows 141, nothing on stderr); etcctl exits with 141
// without a stack trace, and a watch ends at the next change it would print instead of running on.
// No timing: the output is far larger than a pipe holds, and the watch's change is made only once
// the reader has closed its end.
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EtcdCluster, startEtcd, startProxy } from '@etc/etcd-launcher';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { bundleEtcctl, etcdctlPath, type Ran, runChild } from './etcctl.js';

const root = '/closed-output';
let etcd: EtcdCluster;
let url: string;
let bin: string;
let removeBin: () => Promise<void>;

/** Keys of `ls --recursive`: 2,000 paths of ~500 bytes, about 1 MB of output. */
const KEYS = 2_000;
/** The value of `get`: 300 kB, more than a pipe and `head` take (and small enough for `migrate`). */
const BIG = 300_000;

async function put(key: string, value: string): Promise<void> {
  const response = await fetch(`${url}/v2/keys${key}`, {
    method: 'PUT',
    body: new URLSearchParams({ value }),
  });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`PUT ${key}: HTTP ${response.status}`);
}

/** A key's node, as etcd sends it. */
async function node(key: string): Promise<{ value: string; modifiedIndex: number }> {
  const response = await fetch(`${url}/v2/keys${key}`);
  const body = (await response.json()) as { node: { value: string; modifiedIndex: number } };
  return body.node;
}

beforeAll(async () => {
  ({ bin, remove: removeBin } = await bundleEtcctl());
  etcd = await startEtcd({ name: 'cli-closed-output', binary: inject('etcdBin') || undefined });
  url = etcd.url;
  const long = 'k'.repeat(480);
  for (let start = 0; start < KEYS; start += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => put(`${root}/many/${long}-${start + i}`, String(start + i))),
    );
  }
  await put(`${root}/big`, 'x'.repeat(BIG));
}, 120_000);
afterAll(async () => {
  await etcd?.stop();
  await removeBin?.();
});

/**
 * `TOOL ARGS | head -n 1` (or `head -c 100` with `bytes`) in bash: what head printed, TOOL's stderr,
 * and TOOL's status as the shell saw it (`${PIPESTATUS[0]}`, what `set -o pipefail` would report).
 */
function throughHead(tool: 'etcctl' | 'etcdctl', args: readonly string[], bytes = false): Promise<Ran> {
  const command = tool === 'etcctl' ? [process.execPath, bin] : [etcdctlPath as string];
  const script = `"$@" | head ${bytes ? '-c 100' : '-n 1'}; exit "\${PIPESTATUS[0]}"`;
  return runChild('bash', ['--norc', '--noprofile', '-c', script, 'bash', ...command, ...args], {
    env: { ETCDCTL_ENDPOINTS: url, ETCDCTL_API: '2' },
    timeout: 60_000,
  });
}

/**
 * Runs etcctl with `closed` a pipe whose reader is gone before etcctl starts; resolves with what it
 * wrote on the other output and its status.
 */
function closedFromTheStart(
  closed: 'stdout' | 'stderr',
  args: readonly string[],
): Promise<{ other: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, ETCDCTL_ENDPOINTS: url },
    });
    child[closed].destroy();
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    let other = '';
    child[closed === 'stdout' ? 'stderr' : 'stdout'].setEncoding('utf8').on('data', (chunk: string) => {
      other += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ other, code });
    });
  });
}

/**
 * Starts etcctl with its stdout a pipe the test reads: `first` is the first chunk it prints, after
 * which the reader closes its end (`head -n 1` exiting) and calls `left`; `ended` is how etcctl ended.
 */
function readerLeaves(
  args: readonly string[],
  left: () => void = () => {},
): {
  first: Promise<string>;
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
} {
  const child = spawn(process.execPath, [bin, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, ETCDCTL_ENDPOINTS: url },
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal });
    });
  });
  const first = new Promise<string>((resolve) => {
    child.stdout.setEncoding('utf8').once('data', (chunk: string) => {
      child.stdout.destroy();
      left();
      resolve(chunk);
    });
  });
  return { first, ended, stderr: () => stderr };
}

const stackTrace = /\n\s+at |Error: write EPIPE|Unhandled 'error' event/;

describe('a reader that closes the pipe early', () => {
  test('ls --recursive over 2,000 keys | head -n 1: the first key, then status 141 and nothing on stderr', async () => {
    const ran = await throughHead('etcctl', ['ls', '--recursive', `${root}/many`]);
    expect(ran.stdout).toMatch(new RegExp(`^${root}/many/k+-\\d+\\n$`));
    expect(ran).toMatchObject({ stderr: '', code: 141 });
    if (etcdctlPath !== undefined) {
      // etcdctl v2: killed by SIGPIPE, which a shell shows as 141.
      const theirs = await throughHead('etcdctl', ['ls', '--recursive', `${root}/many`]);
      expect({ stderr: theirs.stderr, code: theirs.code }).toEqual({ stderr: '', code: 141 });
    }
  }, 60_000);

  test('get of a 300 kB value | head -c 100: status 141, no stack trace', async () => {
    const ran = await throughHead('etcctl', ['get', `${root}/big`], true);
    expect(ran.stdout).toBe('x'.repeat(100));
    expect(ran.stderr).not.toMatch(stackTrace);
    expect(ran).toMatchObject({ stderr: '', code: 141 });
    if (etcdctlPath !== undefined) {
      const theirs = await throughHead('etcdctl', ['get', `${root}/big`], true);
      expect({ stderr: theirs.stderr, code: theirs.code }).toEqual({ stderr: '', code: 141 });
    }
  }, 60_000);

  test('watch --forever: ends at the first change after the reader left (status 141)', async () => {
    const key = `${root}/watched`;
    await put(key, 'first');
    const index = (await node(key)).modifiedIndex;
    const run = readerLeaves(['watch', '--forever', '--after-index', String(index - 1), key]);
    // The first change (from etcd's history) is printed; then the reader closes its end.
    expect(await run.first).toBe('first\n');
    // Its print finds the pipe closed: etcctl stops (it would otherwise wait on forever).
    await put(key, 'second');
    expect(await run.ended).toEqual({ code: 141, signal: null });
    expect(run.stderr()).toBe('');
  }, 90_000);

  test('exec-watch: a command that goes on printing is stopped (SIGTERM) and waited for, then status 141', async () => {
    const key = `${root}/exec`;
    const pidFile = join(tmpdir(), `etcctl-closed-output-${process.pid}.pid`);
    await put(key, 'first');
    const index = (await node(key)).modifiedIndex;
    const script = `echo $$ > ${pidFile}; echo "$ETCD_WATCH_VALUE"; while :; do sleep 0.05; echo tick; done`;
    const run = readerLeaves([
      'exec-watch',
      '--after-index',
      String(index - 1),
      key,
      '--',
      'sh',
      '-c',
      script,
    ]);
    expect(await run.first).toMatch(/^first\n/);
    // The command's next line finds the pipe closed.
    expect(await run.ended).toEqual({ code: 141, signal: null });
    expect(run.stderr()).toBe('');
    const pid = Number(await readFile(pidFile, 'utf8'));
    await rm(pidFile);
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  }, 90_000);

  test('migrate --follow: stops at the first line it cannot print instead of following on, status 141', async () => {
    // The target behind a proxy that holds its traffic until the reader has left: the copy cannot
    // end (and its `migrated ...` line be printed) before.
    const target = new URL(url);
    const proxy = await startProxy(target.hostname, Number(target.port));
    try {
      proxy.stall();
      const run = readerLeaves(['migrate', '--follow', '--to', proxy.url, '--to-prefix', '/copy'], () =>
        proxy.resume(),
      );
      expect(await run.first).toMatch(/^snapshot: etcd index \d+: /);
      // `migrated ...`, once the copy is written, finds the pipe closed: the follow that comes after
      // ends at once, with no change to wait for.
      expect(await run.ended).toEqual({ code: 141, signal: null });
      expect(run.stderr()).not.toMatch(stackTrace);
      expect(run.stderr()).toMatch(/^migrate: \d+\/\d+ keys \(100%\)\n$/m);
    } finally {
      await proxy.close();
    }
  }, 90_000);

  test('set with its stdout closed before it starts: the value is set, status 141 says the line was lost', async () => {
    const key = `${root}/set`;
    const ran = await closedFromTheStart('stdout', ['set', key, 'kept']);
    expect(ran).toEqual({ other: '', code: 141 });
    expect((await node(key)).value).toBe('kept');
  });

  test('an error line with stderr closed: status 141 (etcdctl v2 died of SIGPIPE there too)', async () => {
    const ran = await closedFromTheStart('stderr', ['get', `${root}/missing`]);
    expect(ran).toEqual({ other: '', code: 141 });
  });

  test('a stdout that cannot be written (EBADF): one error line on stderr, status 1', async () => {
    const ran = await runChild(
      'bash',
      [
        '--norc',
        '--noprofile',
        '-c',
        '"$@" 1</dev/null',
        'bash',
        process.execPath,
        bin,
        'get',
        `${root}/big`,
      ],
      {
        env: { ETCDCTL_ENDPOINTS: url },
      },
    );
    expect(ran).toEqual({ stdout: '', stderr: 'Error:  write /dev/stdout: bad file descriptor\n', code: 1 });
  });
});

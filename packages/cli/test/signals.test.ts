// Ctrl+C (SIGINT) and SIGTERM on the built etcctl while it watches, against an etcd of this file's
// own (so that its watcher count is etcctl's alone). No timing: a signal is sent once etcd counts the
// watch, or once the output or the exec-watch command says it is running.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type EtcdCluster, startEtcd } from '@etc/etcd-launcher';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { bundleEtcctl, etcdctlPath, runChild } from './etcctl.js';

let etcd: EtcdCluster;
let bin: string;
let removeBin: () => Promise<void>;

beforeAll(async () => {
  ({ bin, remove: removeBin } = await bundleEtcctl());
  etcd = await startEtcd({ name: 'cli-signals', binary: inject('etcdBin') || undefined });
});
afterAll(async () => {
  await etcd?.stop();
  await removeBin?.();
});

/** A running etcctl (or etcdctl): its output so far, and its end. */
interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once stdout matches. */
  printed: (pattern: RegExp) => Promise<RegExpExecArray>;
  /** Resolves when it has ended and its output is closed. */
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when it has ended (a command it left running may still hold its output open). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(file: string, args: readonly string[], env: Record<string, string> = {}): Running {
  const child = spawn(file, [...args], {
    // stdin a pipe left open: a password prompt waits on it.
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, ETCDCTL_ENDPOINTS: etcd.url, ...env },
  });
  let stdout = '';
  let stderr = '';
  const waiting: Array<() => void> = [];
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const check of waiting.splice(0)) check();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      for (const check of waiting.splice(0)) check();
      resolve({ code, signal });
    });
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const printed = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(stdout);
        if (match !== null) resolve(match);
        else if (child.exitCode !== null || child.signalCode !== null) {
          reject(new Error(`ended without printing ${pattern}: ${stdout} ${stderr}`));
        } else waiting.push(check);
      };
      check();
    });
  return { child, stdout: () => stdout, stderr: () => stderr, printed, ended, exited };
}

const etcctl = (args: readonly string[]) => start(process.execPath, [bin, ...args]);

/** etcd's count of v2 watchers. */
async function watchers(): Promise<number> {
  const response = await fetch(`${etcd.url}/v2/stats/store`);
  return ((await response.json()) as { watchers: number }).watchers;
}

/** Resolves once etcd counts `count` watchers (polled; fails after 30 s). */
async function watcherCount(count: number): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if ((await watchers()) >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`etcd never counted ${count} watchers`);
}

/** Whether a process is still there (a zombie is not). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The current etcd index. */
async function currentIndex(): Promise<number> {
  const response = await fetch(`${etcd.url}/v2/keys/`);
  await response.arrayBuffer();
  return Number(response.headers.get('x-etcd-index'));
}

async function set(key: string, value: string): Promise<void> {
  expect(
    (await runChild(process.execPath, [bin, 'set', key, value], { env: { ETCDCTL_ENDPOINTS: etcd.url } }))
      .code,
  ).toBe(0);
}

describe('watch', () => {
  test('a watch waiting for its first change, interrupted: status 130, nothing printed', async () => {
    const before = await watchers();
    const run = etcctl(['watch', '/sig/block']);
    await watcherCount(before + 1);
    run.child.kill('SIGINT');
    expect(await run.ended).toEqual({ code: 130, signal: null });
    expect({ stdout: run.stdout(), stderr: run.stderr() }).toEqual({ stdout: '', stderr: '' });
  });

  test('SIGTERM: status 143', async () => {
    const before = await watchers();
    const run = etcctl(['watch', '--recursive', '/sig/term']);
    await watcherCount(before + 1);
    run.child.kill('SIGTERM');
    expect(await run.ended).toEqual({ code: 143, signal: null });
    expect(run.stderr()).toBe('');
  });

  test('watch --forever: every change, then 130 on Ctrl+C (etcdctl v2 exited 0)', async () => {
    const from = await currentIndex();
    for (const value of ['a', 'b']) await set('/sig/forever', value);
    const run = etcctl(['watch', '--forever', '--after-index', String(from), '/sig/forever']);
    await run.printed(/^a\nb\n$/);
    run.child.kill('SIGINT');
    expect(await run.ended).toEqual({ code: 130, signal: null });
    expect({ stdout: run.stdout(), stderr: run.stderr() }).toEqual({ stdout: 'a\nb\n', stderr: '' });
    if (etcdctlPath !== undefined) {
      const theirs = start(
        etcdctlPath,
        ['watch', '--forever', '--after-index', String(from), '/sig/forever'],
        {
          ETCDCTL_API: '2',
        },
      );
      await theirs.printed(/^a\nb\n$/);
      theirs.child.kill('SIGINT');
      expect(await theirs.ended).toEqual({ code: 0, signal: null });
    }
  });

  test('cluster-health --forever: 130 on Ctrl+C', async () => {
    const run = etcctl(['cluster-health', '--forever']);
    await run.printed(/cluster is healthy\n/);
    run.child.kill('SIGINT');
    expect(await run.ended).toEqual({ code: 130, signal: null });
    expect(run.stderr()).toBe('');
  });
});

describe('not watching', () => {
  test('waiting for a password on stdin: Ctrl+C exits at once with 130 (etcdctl v2: 255, or killed)', async () => {
    const run = etcctl(['-u', 'root', 'get', '/sig/k']);
    await run.printed(/^Password: $/);
    run.child.kill('SIGINT');
    expect(await run.ended).toEqual({ code: 130, signal: null });
    expect(run.stderr()).toBe('');
    if (etcdctlPath !== undefined) {
      const theirs = start(etcdctlPath, ['-u', 'root', 'get', '/sig/k'], { ETCDCTL_API: '2' });
      await theirs.printed(/^Password: $/);
      theirs.child.kill('SIGINT');
      // speakeasy catches SIGINT only once it reads: before that the signal kills etcdctl.
      expect([
        { code: 255, signal: null },
        { code: null, signal: 'SIGINT' },
      ]).toContainEqual(await theirs.ended);
    }
  });

  test('SIGHUP: 129', async () => {
    const before = await watchers();
    const run = etcctl(['watch', '/sig/hup']);
    await watcherCount(before + 1);
    run.child.kill('SIGHUP');
    expect(await run.ended).toEqual({ code: 129, signal: null });
  });
});

describe('exec-watch', () => {
  /** exec-watch of a change made before it starts, running `script` (which prints `pid N`). */
  async function execWatch(key: string, script: string, file = process.execPath, prefix = [bin], env = {}) {
    const from = await currentIndex();
    await set(key, 'v');
    const run = start(
      file,
      [...prefix, 'exec-watch', '--after-index', String(from), key, '--', 'sh', '-c', script],
      env,
    );
    const pid = Number((await run.printed(/^pid (\d+)\n/m))[1]);
    expect(alive(pid)).toBe(true);
    return { run, pid };
  }

  test('Ctrl+C: the running command gets it too and is waited for; status 130', async () => {
    const { run, pid } = await execWatch('/sig/exec-int', 'echo "pid $$"; exec sleep 1000');
    run.child.kill('SIGINT');
    expect(await run.ended).toEqual({ code: 130, signal: null });
    expect(alive(pid)).toBe(false);
    expect(run.stderr()).toBe('');
  });

  test('SIGTERM: the command gets SIGTERM; status 143', async () => {
    const { run, pid } = await execWatch(
      '/sig/exec-term',
      'trap "echo got TERM; exit 3" TERM; echo "pid $$"; while :; do sleep 1; done',
    );
    run.child.kill('SIGTERM');
    expect(await run.ended).toEqual({ code: 143, signal: null });
    expect(run.stdout()).toBe(`pid ${pid}\ngot TERM\n`);
    expect(alive(pid)).toBe(false);
  });

  test('a command that ignores the signal is killed by a second one', async () => {
    // The command survives SIGINT (it says so) and ignores SIGTERM. The second signal is sent only
    // once the first has reached the command: two signals sent back to back may be handled in
    // either order (each can land on another thread of the process).
    const { run, pid } = await execWatch(
      '/sig/exec-stubborn',
      'trap "echo got INT" INT; trap "" TERM; echo "pid $$"; while :; do sleep 1; done',
    );
    run.child.kill('SIGINT');
    await run.printed(/^got INT\n/m);
    expect(alive(pid)).toBe(true);
    run.child.kill('SIGTERM');
    expect(await run.ended).toEqual({ code: 130, signal: null });
    expect(alive(pid)).toBe(false);
  });

  test.skipIf(etcdctlPath === undefined)(
    'etcdctl v2, for comparison: exits 0 on SIGINT and leaves the command running',
    async () => {
      const key = '/sig/exec-theirs';
      const from = await currentIndex();
      await set(key, 'v');
      // Debian's etcdctl 3.4 takes the key last (`exec-watch -- COMMAND... KEY`): with
      // `KEY -- COMMAND...`, its argument reordering drops the `--` and it watches the wrong key.
      const run = start(
        etcdctlPath as string,
        [
          'exec-watch',
          '--after-index',
          String(from),
          '--',
          'sh',
          '-c',
          'echo "pid $$"; exec sleep 1000',
          key,
        ],
        { ETCDCTL_API: '2' },
      );
      const pid = Number((await run.printed(/^pid (\d+)\n/m))[1]);
      run.child.kill('SIGINT');
      try {
        expect(await run.exited).toEqual({ code: 0, signal: null });
        expect(alive(pid)).toBe(true);
      } finally {
        process.kill(pid, 'SIGKILL');
      }
    },
  );
});

// `etcctl migrate --follow`, run as a child process from a v2 etcd into a v2-less etcd: writes of
// every kind during the copy and after it, then SIGINT/SIGTERM; the trees must then be equal. No
// test depends on timing: each step waits for a line of output or polls a state.

import { type ChildProcess, spawn } from 'node:child_process';
import { type Client, etcd, type Node } from '@etc/client';
import { type EtcdCluster, startEtcd } from '@etc/etcd-launcher';
import { etcdV3 } from '@etc/transport-v3';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { bundleEtcctl } from './etcctl.js';

let v2: EtcdCluster;
let v3: EtcdCluster;
let source: Client;
let bin: string;
let removeBin: () => Promise<void>;
const binary = inject('etcdBin') || undefined;
const BASE = 1500;

beforeAll(async () => {
  const bundled = await bundleEtcctl();
  bin = bundled.bin;
  removeBin = bundled.remove;
  [v2, v3] = await Promise.all([
    startEtcd({ name: 'cli-follow-v2', binary }),
    startEtcd({ name: 'cli-follow-v3', binary, v2: false }),
  ]);
  source = etcd(v2.url);
  // A tree large enough that the copy takes many transactions (writes land while it runs).
  const keys = Array.from({ length: BASE }, (_, i) => `/base/d${i % 15}/k${String(i).padStart(5, '0')}`);
  for (let at = 0; at < keys.length; at += 50) {
    await Promise.all(keys.slice(at, at + 50).map((key) => source.set(key, `v-${key}`)));
  }
  await source.set('/base/ttl', 'lives', { ttl: 600 });
  for (const job of ['one', 'two']) await source.append('/base/queue', job);
}, 120_000);

afterAll(async () => {
  await source?.close();
  await Promise.all([v2?.stop(), v3?.stop()]);
  await removeBin?.();
});

/** A running etcctl: its output so far, a wait for a line, and its end. */
interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  line(pattern: RegExp): Promise<RegExpExecArray>;
  exit: Promise<number | null>;
}

function start(args: readonly string[]): Running {
  const child = spawn(process.execPath, [bin, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH },
  });
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  const wake = () => {
    for (const each of waiters.splice(0)) each();
  };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    wake();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 170_000);
  const exit = new Promise<number | null>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      wake();
      resolve(code);
    });
  });
  let ended = false;
  void exit.then(() => {
    ended = true;
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exit,
    async line(pattern) {
      for (;;) {
        const match = pattern.exec(out);
        if (match) return match;
        if (ended) throw new Error(`etcctl ended without ${pattern}: ${out}\n${err}`);
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

interface Flat {
  dir: boolean;
  value: string | undefined;
  expiration: number | undefined;
}

async function tree(client: Client): Promise<Map<string, Flat>> {
  const out = new Map<string, Flat>();
  const visit = (node: Node) => {
    if (node.key !== '/') {
      out.set(node.key, {
        dir: node.dir,
        value: 'value' in node ? (node as { value: string }).value : undefined,
        expiration: node.expiration?.getTime(),
      });
    }
    for (const child of (node as { nodes?: Node[] }).nodes ?? []) visit(child);
  };
  visit((await client.get('/', { recursive: true, sorted: true, quorum: true })).node);
  return out;
}

async function expectSameTrees(prefix: string, url = v3.url): Promise<Map<string, Flat>> {
  const target = etcdV3(url, { prefix });
  try {
    const want = await tree(source);
    const got = await tree(target);
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [path, w] of want) expect({ path, ...got.get(path) }).toEqual({ path, ...w });
    return want;
  } finally {
    await target.close();
  }
}

/** Polls the source until `key` is gone (its TTL ran out): etcd expires keys on its own time. */
async function untilGone(key: string): Promise<void> {
  for (;;) {
    try {
      await source.get(key);
    } catch (error) {
      if ((error as { errorCode?: number }).errorCode === 100) return;
      throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Writes of every kind v2 has, under `/w/<tag>`; resolves with the last index acknowledged. */
async function writeEveryKind(tag: string, base: number): Promise<number> {
  const at = `/w/${tag}`;
  let last = 0;
  const ack = (result: { node: { modifiedIndex?: number | undefined } }) => {
    last = Math.max(last, result.node.modifiedIndex ?? 0);
  };
  ack(await source.set(`${at}/a`, '1')); // set, new (its parent made on the way)
  ack(await source.set(`${at}/a`, '2')); // set over a file
  ack(await source.create(`${at}/b`, 'b1')); // create
  ack(await source.update(`${at}/b`, 'b2')); // update
  ack(await source.set(`${at}/a`, '3', { prevValue: '2' })); // compareAndSwap
  ack(await source.create(`${at}/c`, 'c'));
  ack(await source.delete(`${at}/c`, { prevValue: 'c' })); // compareAndDelete
  ack(await source.create(`${at}/d`, 'd'));
  ack(await source.delete(`${at}/d`)); // delete
  ack(await source.create(`${at}/empty`, { dir: true })); // an empty directory
  ack(await source.set(`${at}/gone/x/y`, 'y'));
  ack(await source.delete(`${at}/gone`, { recursive: true })); // a directory and what it holds
  ack(await source.set(`${at}/deep/er/key`, 'deep')); // parents made by the write
  ack(await source.set(`${at}/ttl`, 't', { ttl: 600 })); // a TTL
  ack(await source.set(`${at}/tdir`, { dir: true, ttl: 300 })); // a directory with a TTL
  ack(await source.set(`${at}/tdir/in`, 'goes with tdir'));
  ack(await source.update(`${at}/tdir`, { dir: true, ttl: 900 })); // its TTL changed
  ack(await source.set(`${at}/f`, 'file'));
  ack(await source.set(`${at}/f`, { dir: true })); // a file replaced by a directory
  ack(await source.set(`${at}/short`, 's', { ttl: 1 })); // expires
  for (const job of ['first', 'second', 'third']) ack(await source.append(`${at}/q`, job)); // in order
  const snapshotKey = (i: number) => `/base/d${i % 15}/k${String(i).padStart(5, '0')}`;
  ack(await source.update(snapshotKey(base), 'changed')); // keys of the snapshot
  ack(await source.delete(snapshotKey(base + 1)));
  await untilGone(`${at}/short`);
  return last;
}

describe('etcctl migrate --follow', () => {
  test('writes of every kind during the copy and after it; SIGINT applies all of them and exits 130', async () => {
    const run = start(['--endpoints', v2.url, 'migrate', '--to', v3.url, '--to-prefix', '/f1', '--follow']);
    const snap = await run.line(/^snapshot: etcd index (\d+):/m);
    const during = await writeEveryKind('during', 10);
    await run.line(/^following: applying the v2 changes after etcd index (\d+) to \/f1 at /m);
    expect(run.stdout()).toMatch(/^verified: \d+ nodes read back from the v3 keyspace equal the snapshot$/m);
    const after = await writeEveryKind('after', 20);
    expect(after).toBeGreaterThan(during);
    run.child.kill('SIGINT');
    const code = await run.exit;
    expect({ code, stderr: run.stderr() }).toMatchObject({ code: 130 });
    const summary = /^followed: applied (\d+) changes up to etcd index (\d+); stopped by SIGINT$/m.exec(
      run.stdout(),
    );
    expect(summary).not.toBeNull();
    expect(Number(summary?.[2])).toBeGreaterThanOrEqual(after);
    expect(Number(summary?.[2])).toBeGreaterThan(Number(snap[1]));
    const want = await expectSameTrees('/f1');
    // What the writes left, spelled out (the comparison above holds for any tree).
    for (const tag of ['during', 'after']) {
      expect(want.get(`/w/${tag}/a`)?.value).toBe('3');
      expect(want.get(`/w/${tag}/f`)?.dir).toBe(true);
      expect(want.has(`/w/${tag}/short`)).toBe(false);
      expect(want.has(`/w/${tag}/gone`)).toBe(false);
      expect(want.get(`/w/${tag}/tdir`)?.expiration).toBeDefined();
    }
    // The marker was removed again.
    await untilGone('/_etcctl-migrate-follow');
    // The in-order keys keep their order, and an append through etcdV3 sorts after them.
    const target = etcdV3(v3.url, { prefix: '/f1' });
    try {
      await target.append('/w/after/q', 'fourth');
      const queue = (await target.get('/w/after/q', { sorted: true })).node as unknown as { nodes: Node[] };
      expect(queue.nodes.map((n) => (n as { value?: string }).value)).toEqual([
        'first',
        'second',
        'third',
        'fourth',
      ]);
    } finally {
      await target.close();
    }
  }, 180_000);

  test('SIGTERM ends it with 143 after applying what was acknowledged', async () => {
    const run = start(['--endpoints', v2.url, 'migrate', '--to', v3.url, '--to-prefix', '/f2', '--follow']);
    await run.line(/^following: /m);
    const last = (await source.set('/w/term', 'last word')).node.modifiedIndex as number;
    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(143);
    const summary = /^followed: applied \d+ changes? up to etcd index (\d+); stopped by SIGTERM$/m.exec(
      run.stdout(),
    );
    expect(Number(summary?.[1])).toBeGreaterThanOrEqual(last);
    await expectSameTrees('/f2');
  }, 120_000);

  test("etcd's cleared history (401): the tree is read again, vanished keys deleted, and following goes on", async () => {
    const run = start(['--endpoints', v2.url, 'migrate', '--to', v3.url, '--to-prefix', '/f3', '--follow']);
    await run.line(/^following: /m);
    await source.set('/w/wake', 'one change, read while the process is stopped');
    // Stopped, the process cannot read on: 1,100 changes later etcd's history (1,000) no longer
    // reaches back to where it stands.
    run.child.kill('SIGSTOP');
    try {
      await source.delete('/w/during', { recursive: true });
      for (let i = 0; i < 1100; i += 50) {
        await Promise.all(
          Array.from({ length: 50 }, (_, j) => source.set(`/w/flood/k${(i + j) % 200}`, `v${i + j}`)),
        );
      }
    } finally {
      run.child.kill('SIGCONT');
    }
    const later = (await source.set('/w/later', 'after the new snapshot')).node.modifiedIndex as number;
    // The new snapshot is taken at or after `later` or `later` is followed: both end in the tree.
    const target = etcdV3(v3.url, { prefix: '/f3' });
    try {
      for (;;) {
        try {
          if ((await target.get('/w/later')).value === 'after the new snapshot') break;
        } catch (error) {
          if ((error as { errorCode?: number }).errorCode !== 100) throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await target.close();
    }
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(130);
    expect(run.stderr()).toMatch(
      /^follow: etcd's v2 history no longer reaches back to etcd index \d+ \(401\): read the tree again at etcd index \d+ and copied it \(.*; deleted \d+ keys? the v2 tree no longer has\)$/m,
    );
    expect(run.stdout()).toMatch(/\(1 new snapshot after etcd cleared its history\); stopped by SIGINT$/m);
    const want = await expectSameTrees('/f3');
    expect(want.has('/w/during')).toBe(false);
    expect(Number(/up to etcd index (\d+)/.exec(run.stdout())?.[1])).toBeGreaterThanOrEqual(later);
  }, 180_000);

  test('a TTL refreshed in v2 (no watcher is told) is refreshed in the copy before it would expire there', async () => {
    const run = start(['--endpoints', v2.url, 'migrate', '--to', v3.url, '--to-prefix', '/f4', '--follow']);
    await run.line(/^following: /m);
    const first = await source.set('/w/beat', 'alive', { ttl: 3 });
    const refreshed = await source.refresh('/w/beat', 600);
    const until = refreshed.node.expiration?.getTime() as number;
    expect(until).toBeGreaterThan(first.node.expiration?.getTime() as number);
    const target = etcdV3(v3.url, { prefix: '/f4' });
    try {
      // The copy first expires with the first TTL; only a re-read of the source can show the refresh.
      for (;;) {
        let at: number | undefined;
        try {
          at = (await target.get('/w/beat')).node.expiration?.getTime();
        } catch (error) {
          if ((error as { errorCode?: number }).errorCode !== 100) throw error;
        }
        if (at === until) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await target.close();
    }
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(130);
    expect(run.stdout()).toMatch(
      /^followed: applied \d+ changes? up to etcd index \d+, 1 TTL refresh; stopped by SIGINT$/m,
    );
    await expectSameTrees('/f4');
  }, 120_000);

  test('into the v3 keyspace of the same etcd (no --to)', async () => {
    const run = start(['--endpoints', v2.url, 'migrate', '--to-prefix', '/f5', '--follow']);
    await run.line(/^following: applying the v2 changes after etcd index \d+ to \/f5 at /m);
    const last = (await source.set('/w/same/k', 'same cluster')).node.modifiedIndex as number;
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(130);
    expect(Number(/up to etcd index (\d+)/.exec(run.stdout())?.[1])).toBeGreaterThanOrEqual(last);
    await expectSameTrees('/f5', v2.url);
  }, 120_000);

  test('a target that goes away: status 2, and how far the copy got', async () => {
    const gone = await startEtcd({ name: 'cli-follow-gone', binary, v2: false });
    try {
      const run = start(['--endpoints', v2.url, 'migrate', '--to', gone.url, '--follow']);
      const from = Number(
        (await run.line(/^following: applying the v2 changes after etcd index (\d+) /m))[1],
      );
      await gone.stop();
      await source.set('/w/lost', 'cannot be applied');
      expect(await run.exit).toBe(2);
      expect(run.stdout()).toMatch(
        new RegExp(`^followed: applied 0 changes up to etcd index ${from}; stopped by an error$`, 'm'),
      );
      expect(run.stderr()).toMatch(/^Error: {2}client: etcd cluster is unavailable or misconfigured; /m);
    } finally {
      await gone.stop();
    }
  }, 120_000);

  test('--hidden keys (no watcher of / is told of them) are brought over while following and at the stop', async () => {
    await source.set('/app/_hidden', 'before');
    await source.set('/_locks/held', 'me');
    await source.set('/_locks/gone', 'soon');
    const hidden = '/app/_hidden,/_locks';
    const run = start([
      '--endpoints',
      v2.url,
      'migrate',
      '--to',
      v3.url,
      '--to-prefix',
      '/f6',
      '--hidden',
      hidden,
      '--follow',
    ]);
    await run.line(/^following: /m);
    await source.set('/app/_hidden', 'after');
    await source.set('/_locks/new', 'taken', { ttl: 600 });
    await source.delete('/_locks/gone');
    await source.set('/app/visible', 'as usual');
    // While following: the periodic read brings the change over (polled here, not timed).
    const watcher = etcdV3(v3.url, { prefix: '/f6' });
    try {
      while ((await watcher.get('/app/_hidden')).value !== 'after')
        await new Promise((r) => setTimeout(r, 100));
    } finally {
      await watcher.close();
    }
    await source.set('/_locks/last', 'written just before the stop');
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(130);
    await expectSameTrees('/f6');
    const target = etcdV3(v3.url, { prefix: '/f6' });
    try {
      for (const path of ['/app/_hidden', '/_locks']) {
        const flatOf = async (client: Client) => {
          const out = new Map<string, Flat>();
          const visit = (node: Node) => {
            out.set(node.key, {
              dir: node.dir,
              value: 'value' in node ? (node as { value: string }).value : undefined,
              expiration: node.expiration?.getTime(),
            });
            for (const child of (node as { nodes?: Node[] }).nodes ?? []) visit(child);
          };
          visit((await client.get(path, { recursive: true, sorted: true })).node);
          return out;
        };
        expect(await flatOf(target)).toEqual(await flatOf(source));
      }
      expect((await target.get('/app/_hidden')).value).toBe('after');
      expect((await target.get('/_locks/new')).ttl).toBeGreaterThan(0);
      await expect(target.get('/_locks/gone')).rejects.toMatchObject({ errorCode: 100 });
      expect((await target.get('/_locks/last')).value).toBe('written just before the stop');
    } finally {
      await target.close();
    }
  }, 120_000);

  test('bad usage: --follow with --dry-run', async () => {
    const run = start(['--endpoints', v2.url, 'migrate', '--to', v3.url, '--follow', '--dry-run']);
    expect(await run.exit).toBe(1);
    expect(run.stderr()).toBe('Error:  --follow writes: leave out --dry-run\n');
  });
});

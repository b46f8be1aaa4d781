// `etcctl migrate`, run as a child process: a v2 etcd with every kind of node copied into a
// v2-less etcd (v3 only, as etcd 3.6 runs), then read back through etcdV3 and `etcctl --api v3`.

import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Readable, Writable } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { type Client, etcd, type Node } from '@etc/client';
import { type EtcdCluster, freePort, startEtcd, startProxy } from '@etc/etcd-launcher';
import { etcdV3 } from '@etc/transport-v3';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { run } from '../src/run.js';
import { bundleEtcctl, type RunOptions, runChild } from './etcctl.js';

let v2: EtcdCluster;
let v3: EtcdCluster;
let source: Client;
let target: Client;
let bin: string;
let removeBin: () => Promise<void>;

const binary = inject('etcdBin') || undefined;
const HIDDEN = ['/app/_hidden', '/_locks'];
const TTL = 600;

beforeAll(async () => {
  const bundled = await bundleEtcctl();
  bin = bundled.bin;
  removeBin = bundled.remove;
  [v2, v3] = await Promise.all([
    startEtcd({ name: 'cli-migrate-v2', binary }),
    startEtcd({ name: 'cli-migrate-v3', binary, v2: false }),
  ]);
  source = etcd(v2.url);
  target = etcdV3(v3.url);
  // Every kind of node: nested directories, an empty one, hidden keys, unicode and binary-ish
  // values (the layout's envelope mark included), a TTL on a file and on a directory, a queue.
  await source.set('/a/b/c/d', 'deep');
  await source.set('/app/config/mode', 'fast');
  await source.set('/app/config/blank', '');
  await source.create('/app/empty', { dir: true });
  await source.set('/app/unicode', 'héllo ✓ 𝄞 日本');
  await source.set('/app/binary', '\u0000\u0001\u0002\u007f\u00ff\n\t"\\<>&\u2028 end');
  await source.set('/app/tricky', '\u0000etc\u0000{"created":1}\u0000not metadata');
  await source.set('/app/_hidden', 'secret');
  await source.set('/_locks/held', 'me');
  await source.set('/app/session', 'token', { ttl: TTL });
  await source.set('/tmp', { dir: true, ttl: TTL });
  await source.set('/tmp/inside', 'goes with /tmp');
  for (const job of ['first', 'second', 'third']) await source.append('/queue', job);
}, 120_000);

afterAll(async () => {
  await Promise.all([source?.close(), target?.close()]);
  await Promise.all([v2?.stop(), v3?.stop()]);
  await removeBin?.();
});

const etcctl = (args: readonly string[], options: RunOptions = {}) =>
  runChild(process.execPath, [bin, ...args], { timeout: 60_000, ...options });
const migrate = (...extra: string[]) =>
  etcctl(['--endpoints', v2.url, 'migrate', '--to', v3.url, '--hidden', HIDDEN.join(','), ...extra]);
/** `--to` as `--endpoints` takes it: host:port without a scheme is http. */
const schemeless = () => v3.url.replace(/^http:\/\//, '');

interface Flat {
  dir: boolean;
  value: string | undefined;
  expiration: number | undefined;
  ttl: number | undefined;
}

/** A tree (and hidden keys read by name) as path → what the comparison looks at. */
async function tree(client: Client): Promise<Map<string, Flat>> {
  const out = new Map<string, Flat>();
  const visit = (node: Node) => {
    if (node.key !== '/') {
      out.set(node.key, {
        dir: node.dir,
        value: 'value' in node ? (node as { value: string }).value : undefined,
        expiration: node.expiration?.getTime(),
        ttl: node.ttl,
      });
    }
    for (const child of (node as { nodes?: Node[] }).nodes ?? []) visit(child);
  };
  visit((await client.get('/', { recursive: true, sorted: true })).node);
  for (const path of HIDDEN) visit((await client.get(path, { recursive: true, sorted: true })).node);
  return out;
}

/** Checks that the v3 tree is the v2 tree: keys, kinds, values, expirations (TTL left within its time). */
async function expectSameTree(): Promise<void> {
  const want = await tree(source);
  const got = await tree(target);
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [path, w] of want) {
    const g = got.get(path) as Flat;
    expect({ path, dir: g.dir, value: g.value, expiration: g.expiration }).toEqual({
      path,
      dir: w.dir,
      value: w.value,
      expiration: w.expiration,
    });
    if (w.ttl !== undefined) {
      expect(g.ttl).toBeGreaterThan(0);
      expect(g.ttl).toBeLessThanOrEqual(TTL);
    } else expect(g.ttl).toBeUndefined();
  }
}

describe('etcctl migrate', () => {
  test('--dry-run counts and writes nothing', async () => {
    const ran = await migrate('--dry-run');
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    const index = (await source.get('/')).etcdIndex;
    expect(ran.stdout).toBe(
      `snapshot: etcd index ${index}: 13 files, 9 directories (2 with a TTL)\n` +
        'dry run: would write 13 files and 9 directories (2 leases) in 1 transaction to /etc-v2 at ' +
        `${v3.url}, and delete 0 keys the v2 tree does not have; nothing written\n`,
    );
    const root = await target.get('/', { recursive: true });
    expect((root.node as unknown as { nodes: Node[] }).nodes).toEqual([]);
  });

  test('copies the tree, verifies it, and etcdV3 reads the same tree', async () => {
    const index = (await source.get('/')).etcdIndex;
    const ran = await migrate();
    expect(ran.code).toBe(0);
    const lines = ran.stdout.split('\n');
    expect(lines[0]).toBe(`snapshot: etcd index ${index}: 13 files, 9 directories (2 with a TTL)`);
    expect(lines[1]).toMatch(
      /^migrated 13 files and 9 directories \(2 leases\) in 1 transaction to \/etc-v2 at \S+ \(revision \d+, [\d.]+ s\); deleted 0 keys the v2 tree does not have$/,
    );
    expect(lines[2]).toBe('verified: 22 nodes read back from the v3 keyspace equal the snapshot');
    // No terminal: plain progress lines on stderr.
    expect(ran.stderr).toBe('migrate: 22/22 keys (100%)\n');
    await expectSameTree();
  });

  test('etcctl --api v3 reads what etcctl reads from v2', async () => {
    const ls = ['ls', '--recursive', '--sort', '-p', '/'];
    const fromV2 = await etcctl(['--endpoints', v2.url, ...ls]);
    const fromV3 = await etcctl(['--endpoints', v3.url, '--api', 'v3', ...ls]);
    expect(fromV2.code).toBe(0);
    expect(fromV3).toEqual(fromV2);
    expect(fromV3.stdout).toContain('/app/empty/\n');
    for (const key of ['/app/unicode', '/app/binary', '/app/tricky', '/app/_hidden', '/_locks/held']) {
      const get = await etcctl(['--endpoints', v3.url, '--api', 'v3', 'get', key]);
      expect(get).toEqual(await etcctl(['--endpoints', v2.url, 'get', key]));
    }
    const session = await etcctl([
      '--endpoints',
      v3.url,
      '--api',
      'v3',
      '-o',
      'extended',
      'get',
      '/app/session',
    ]);
    expect(session.code).toBe(0);
    const ttl = Number(/^TTL: (\d+)$/m.exec(session.stdout)?.[1]);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(TTL);
  });

  test('appends to a migrated queue sort after the migrated names', async () => {
    const before = (await target.get('/queue', { sorted: true })).node as unknown as { nodes: Node[] };
    const migrated = before.nodes.map((n) => n.key);
    expect(migrated).toHaveLength(3);
    const appended = await target.append('/queue', 'fourth');
    const after = ((await target.get('/queue', { sorted: true })).node as unknown as { nodes: Node[] }).nodes;
    expect(after.map((n) => n.key)).toEqual([...migrated, appended.node.key]);
    expect(after.map((n) => (n as { value?: string }).value)).toEqual(['first', 'second', 'third', 'fourth']);
  });

  test('a re-run gives the same tree (the key only v3 has is removed)', async () => {
    const ran = await etcctl([
      '--endpoints',
      v2.url,
      'migrate',
      '--to',
      schemeless(),
      '--hidden',
      HIDDEN.join(','),
    ]);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/deleted 1 key the v2 tree does not have\n/);
    expect(ran.stdout).toMatch(/verified: 22 nodes/);
    await expectSameTree();
    const again = await migrate('--dry-run');
    expect(again.stdout).toMatch(/and delete 0 keys the v2 tree does not have; nothing written\n$/);
  });

  test('on a terminal: a progress bar (keys of total, rate, time left) instead of lines', async () => {
    let stderr = '';
    const tty = Object.assign(
      new Writable({
        write(chunk, _encoding, done) {
          stderr += String(chunk);
          done();
        },
      }),
      { isTTY: true, columns: 120 },
    );
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (chunk) => {
      out += String(chunk);
    });
    const io = { stdout, stderr: tty, stdin: Readable.from([]), env: {} };
    const args = ['--endpoints', v2.url, 'migrate', '--to', v3.url, '--to-prefix', '/tty'];
    const code = await run([...args, '--hidden', HIDDEN.join(',')], io);
    expect({ code, stderr: stripVTControlCharacters(stderr) }).toMatchObject({
      code: 0,
      stderr: expect.stringMatching(/migrate \[[\u2588\u2591]+\] 22\/22 keys \| \d+ keys\/s \| \S+ left/),
    });
    expect(out).toMatch(/to \/tty at .*\nverified: 22 nodes/);
  });

  test('Ctrl+C during the copy: the request in flight ends, then status 130; a second one ends it at once', async () => {
    // The target behind a proxy that holds its traffic: the copy is under way (its first request to
    // the target sent) but cannot move; the snapshot's line says the v2 tree has been read.
    const target = new URL(v3.url);
    const proxy = await startProxy(target.hostname, Number(target.port));
    const started = (interrupts: number) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        proxy.stall();
        const child = spawn(
          process.execPath,
          [bin, '--endpoints', v2.url, 'migrate', '--to', proxy.url, '--to-prefix', `/stopped${interrupts}`],
          { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } },
        );
        let stdout = '';
        let stderr = '';
        let acknowledged = false;
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          const first = !stdout.startsWith('snapshot: ');
          stdout += chunk;
          if (!first || !stdout.startsWith('snapshot: ')) return;
          // Its first request to the target is held by the proxy now (or soon): interrupt.
          child.kill('SIGINT');
        });
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
          stderr += chunk;
          if (acknowledged || !/^migrate: SIGINT: stopping after the transactions in flight/m.test(stderr))
            return;
          acknowledged = true;
          // It took the signal: let what is in flight through, or send a second signal.
          if (interrupts === 1) proxy.resume();
          else child.kill('SIGINT');
        });
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
      });
    try {
      const once = await started(1);
      expect(once.code).toBe(130);
      expect(once.stderr).toMatch(
        /^migrate: SIGINT: stopping after the transactions in flight \(a second signal stops at once\)$/m,
      );
      expect(once.stderr).toMatch(
        /^migrate: interrupted after \d+ of 19 keys: the copy is incomplete; run migrate again to complete it$/m,
      );
      expect(once.stdout).not.toMatch(/^verified/m);
      proxy.resume();
      const twice = await started(2);
      expect(twice.code).toBe(130);
      expect(twice.stdout).not.toMatch(/^migrated/m);
    } finally {
      proxy.resume();
      await proxy.close();
    }
  });

  test('Ctrl+C while the v2 tree is read: nothing written, status 130', async () => {
    // A source that takes the GET and never answers: the read is under way when Ctrl+C comes.
    let arrived: () => void = () => {};
    const asked = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const silent = createServer(() => arrived());
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      const child = spawn(
        process.execPath,
        [bin, '--endpoints', `http://127.0.0.1:${port}`, 'migrate', '--to', v3.url, '--to-prefix', '/never'],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } },
      );
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
      await asked;
      child.kill('SIGINT');
      expect(await closed).toBe(130);
      expect(stderr).toBe('migrate: interrupted while reading the v2 tree; nothing written\n');
      const never = etcdV3(v3.url, { prefix: '/never' });
      try {
        const root = await never.get('/', { recursive: true });
        expect((root.node as unknown as { nodes: Node[] }).nodes).toEqual([]);
      } finally {
        await never.close();
      }
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  /**
   * A v2 source (a local HTTP server) whose tree is `/cut` with `count` files of 180 bytes and
   * more (1.5 MB at 8,000: past the 1 MiB the copy starts with). It sends all but the last 100,
   * waits until the target under `prefix` has some of them (the copy began before the read
   * ended), then, by `state.after`: `'cut'` closes the connection; a function is awaited, then
   * the rest sent; `'whole'` sends it all at once.
   */
  async function slowSource(count: number, prefix: string) {
    const nodeText = (i: number) =>
      JSON.stringify({ key: `/cut/k${String(i).padStart(5, '0')}`, value: `${'v'.repeat(180)}${i}` });
    const head = '{"action":"get","node":{"dir":true,"nodes":[{"key":"/cut","dir":true,"nodes":[';
    const tail = ']}]}}';
    const reader = etcdV3(v3.url, { prefix });
    const state: { after: 'cut' | 'whole' | (() => Promise<void>) } = { after: 'cut' };
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'x-etcd-index': '9' });
      const all = Array.from({ length: count }, (_, i) => nodeText(i));
      const after = state.after;
      if (after === 'whole') {
        response.end(`${head}${all.join(',')}${tail}`);
        return;
      }
      response.write(`${head}${all.slice(0, count - 100).join(',')},`);
      void (async () => {
        for (;;) {
          const got = await reader.get('/cut').catch(() => undefined);
          if (got !== undefined && (got.node as unknown as { nodes: Node[] }).nodes.length > 0) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        if (after === 'cut') {
          response.socket?.destroy();
          return;
        }
        await after();
        response.end(`${all.slice(count - 100).join(',')}${tail}`);
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      state,
      reader,
      async close() {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        await reader.close();
      },
    };
  }

  test('written while it is read: an answer cut short after the copy began ends with status 2 and how far it got; a re-run completes it', async () => {
    const count = 8_000;
    const prefix = '/cut-short';
    const source = await slowSource(count, prefix);
    try {
      const args = ['--endpoints', source.url, 'migrate', '--to', v3.url, '--to-prefix', prefix];
      const cut = await etcctl(args);
      expect(cut.code).toBe(2);
      expect(cut.stderr).toMatch(
        /^migrate: stopped after [1-9]\d* of at least \d+ keys: the copy is incomplete; run migrate again to complete it\nError: .*cut short/m,
      );
      expect(cut.stdout).not.toMatch(/^verified/m);
      source.state.after = 'whole';
      const again = await etcctl(args);
      expect(again.stderr).toMatch(
        new RegExp(`^migrate: ${count + 1}/${count + 1} keys \\(100%\\)\\n$`, 'm'),
      );
      expect(again.stdout).toMatch(new RegExp(`^verified: ${count + 1} nodes`, 'm'));
      expect(again.code).toBe(0);
    } finally {
      await source.close();
    }
  });

  test('a key written into the target during the copy: the verification prints it and the status is 6', async () => {
    // An application that wrote to the new cluster too early: its key comes after the copy's
    // first transaction, so the copy does not take it for a leftover of an earlier run.
    const count = 8_000;
    const prefix = '/intruded';
    const source = await slowSource(count, prefix);
    source.state.after = async () => {
      await source.reader.set('/early/bird', 'written to v3');
    };
    try {
      const ran = await etcctl(['--endpoints', source.url, 'migrate', '--to', v3.url, '--to-prefix', prefix]);
      expect(ran.code).toBe(6);
      expect(ran.stdout).toMatch(/^migrated 8000 files and 1 directory/m);
      expect(ran.stdout).not.toMatch(/^verified/m);
      const lines = ran.stderr.split('\n').filter((line) => !line.startsWith('migrate: '));
      // The overwritten file came after the copy's put or before it: the copy wins or loses.
      expect(lines).toContain('only in v3: /early/');
      expect(lines).toContain('only in v3: /early/bird');
      expect(lines[lines.length - 2]).toMatch(
        /^Error: {2}verification: \d+ differences between the v2 snapshot and the v3 tree$/,
      );
      expect(lines[lines.length - 1]).toBe('');
    } finally {
      await source.close();
    }
  });

  test('bad usage: status 1 before anything is read; an unreachable target: status 2', async () => {
    const api = await etcctl(['--endpoints', v2.url, '--api', 'v3', 'migrate', '--to', v3.url]);
    expect(api).toEqual({
      stdout: '',
      stderr: 'Error:  migrate reads the v2 API: leave out --api v3 (the target is --to)\n',
      code: 1,
    });
    const noTarget = await etcctl(['--endpoints', v2.url, 'migrate', '--to', ' , ']);
    expect(noTarget).toEqual({ stdout: '', stderr: 'Error:  --to needs at least one URL\n', code: 1 });
    const port = await freePort();
    const unreachable = await etcctl(['--endpoints', v2.url, 'migrate', '--to', `http://127.0.0.1:${port}`]);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(
      /^Error: {2}client: etcd cluster is unavailable or misconfigured; .*\n$/,
    );
    const hidden = await etcctl(['--endpoints', v2.url, 'migrate', '--hidden', '/visible']);
    expect(hidden.code).toBe(1);
    expect(hidden.stderr).toContain('--hidden takes hidden keys');
  });
});

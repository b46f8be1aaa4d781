// importV2Tree against the shared etcd (its v3 API), each test under a prefix of its own.
import { Directory, Value } from '@etc/client';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { etcdV3 } from './etcd-v3.js';
import { importV2Tree } from './import.js';
import { V3Adapter } from './v3-adapter.js';

const url = inject('etcdUrl');
const adapters: V3Adapter[] = [];
const adapterFor = (prefix: string) => {
  const adapter = new V3Adapter({ endpoints: url, prefix: `/import-${process.pid}-${prefix}` });
  adapters.push(adapter);
  return adapter;
};
afterAll(async () => {
  await Promise.all(adapters.map((a) => a.close()));
});

/** The v3 keys under a prefix, with their leases, from etcd's JSON gateway (independent of the adapter). */
async function rawKeys(prefix: string): Promise<Array<{ key: string; lease: string }>> {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const response = await fetch(`${url}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: b64(`${prefix}/`), range_end: b64(`${prefix}0`) }),
  });
  const body = (await response.json()) as { kvs?: Array<{ key: string; lease?: string }> };
  return (body.kvs ?? []).map((kv) => ({
    key: Buffer.from(kv.key, 'base64').toString(),
    lease: kv.lease ?? '0',
  }));
}

const file = (key: string, value: string, expiration?: Date) =>
  new Value({ key, value, ...(expiration === undefined ? {} : { expiration }) });
const dir = (key: string, nodes: Array<Value | Directory>, expiration?: Date) =>
  new Directory({ key, nodes, ...(expiration === undefined ? {} : { expiration }) });

describe('importV2Tree', () => {
  it('cuts batches at maxOps and at the request size, and the tree reads back whole', async () => {
    const adapter = adapterFor('batches');
    const files = Array.from({ length: 25 }, (_, i) => file(`/many/k${String(i).padStart(2, '0')}`, `v${i}`));
    const root = dir('/', [dir('/many', files)]);
    const planned = await importV2Tree(adapter, root, { maxOps: 10, dryRun: true });
    // 26 nodes, 9 per transaction (the action record is the 10th operation).
    expect(planned).toEqual({ files: 25, dirs: 1, leases: 0, deleted: 0, batches: 3, revision: 0 });
    expect(await rawKeys(adapter.layout.prefix)).toEqual([]);
    const progress: number[] = [];
    const done = await importV2Tree(adapter, root, {
      maxOps: 10,
      inFlight: 1,
      onProgress: (n) => progress.push(n),
    });
    expect(done.batches).toBe(3);
    expect(progress).toEqual([9, 18, 26]);
    const big = 'x'.repeat(40_000);
    const large = dir('/', [
      dir('/large', [file('/large/a', big), file('/large/b', big), file('/large/c', big)]),
    ]);
    const sized = await importV2Tree(adapterFor('sized'), large, { maxRequestBytes: 16 * 1024 + 90_000 });
    expect(sized.batches).toBe(2);
    const client = etcdV3(url, { prefix: adapter.layout.prefix });
    try {
      const got = await client.get('/many', { sorted: true });
      expect((got.node as Directory).values).toEqual(files.map((f) => f.value));
    } finally {
      await client.close();
    }
  });

  it('nodes that expire in the same millisecond each get a lease of their own (no id drawn twice)', async () => {
    const adapter = adapterFor('same-ms');
    const at = new Date(Math.floor(Date.now() / 1000) * 1000 + 120_000);
    // With 20 random bits per id, 3,000 ids of one millisecond would repeat about four times.
    const sessions = Array.from({ length: 3_000 }, (_, i) => file(`/s/k${i}`, 'x', at));
    const done = await importV2Tree(adapter, dir('/', [dir('/s', sessions)]));
    expect(done).toMatchObject({ files: 3_000, leases: 3_000 });
    const leases = (await rawKeys(adapter.layout.prefix))
      .filter((kv) => kv.key.startsWith(`${adapter.layout.prefix}/s/k`))
      .map((kv) => kv.lease);
    expect(leases).toHaveLength(3_000);
    expect(new Set(leases).size).toBe(3_000);
  });

  it('binds nodes inside a directory with a TTL to its lease; a node whose TTL ends first keeps its own', async () => {
    const adapter = adapterFor('leases');
    const soon = new Date(Date.now() + 60_000);
    // /tmp expires at `soon`; /tmp/own 30 s earlier keeps a lease of its own; /tmp/plain goes with /tmp.
    const fixed = dir('/', [
      dir('/tmp', [file('/tmp/plain', 'p'), file('/tmp/own', 'o', new Date(soon.getTime() - 30_000))], soon),
    ]);
    const done = await importV2Tree(adapter, fixed);
    expect(done.leases).toBe(2);
    const keys = await rawKeys(adapter.layout.prefix);
    const lease = (k: string) => keys.find((kv) => kv.key === `${adapter.layout.prefix}${k}`)?.lease;
    expect(lease('/tmp/')).not.toBe('0');
    expect(lease('/tmp/plain')).toBe(lease('/tmp/'));
    expect(lease('/tmp/own')).not.toBe(lease('/tmp/'));
    const client = etcdV3(url, { prefix: adapter.layout.prefix });
    try {
      const got = await client.get('/tmp', { recursive: true, sorted: true });
      expect(got.node.expiration?.getTime()).toBe(soon.getTime());
      const own = (got.node as Directory).nodes.find((n) => n.key === '/tmp/own');
      expect(own?.expiration?.getTime()).toBe(soon.getTime() - 30_000);
      const plain = (got.node as Directory).nodes.find((n) => n.key === '/tmp/plain');
      expect(plain?.ttl).toBeUndefined();
    } finally {
      await client.close();
    }
  });

  it('a re-run gives the same tree: stale keys deleted, the old leases revoked', async () => {
    const adapter = adapterFor('rerun');
    const later = new Date(Date.now() + 600_000);
    await importV2Tree(adapter, dir('/', [file('/ttl', 't', later), file('/stale', 's')]));
    const before = await rawKeys(adapter.layout.prefix);
    const oldLease = before.find((kv) => kv.key.endsWith('/ttl'))?.lease as string;
    expect(oldLease).not.toBe('0');
    const again = await importV2Tree(adapter, dir('/', [file('/ttl', 't', later)]));
    expect(again).toMatchObject({ files: 1, leases: 1, deleted: 1 });
    const after = await rawKeys(adapter.layout.prefix);
    expect(after.map((kv) => kv.key.slice(adapter.layout.prefix.length))).toEqual(['//event', '/ttl']);
    const newLease = after.find((kv) => kv.key.endsWith('/ttl'))?.lease;
    expect(newLease).not.toBe(oldLease);
    // The revoke is sent after the last transaction without waiting: poll until etcd has applied it.
    let ttl = 0;
    for (let i = 0; i < 200 && ttl !== -1; i++) {
      const response = await fetch(`${url}/v3/lease/timetolive`, {
        method: 'POST',
        body: JSON.stringify({ ID: oldLease }),
      });
      ttl = Number(((await response.json()) as { TTL?: string }).TTL);
      if (ttl !== -1) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(ttl).toBe(-1);
  });

  it('flat nodes, re-run over a changed source: a file that became a directory and a directory a file, stale keys deleted, a dry run counting them', async () => {
    const adapter = adapterFor('flat');
    const later = new Date(Date.now() + 600_000);
    // Flat, depth first, every parent given (as etcctl migrate spools a snapshot).
    const first = [
      { key: '/a', dir: false, value: 'was a file' },
      { key: '/d', dir: true, expiration: later },
      { key: '/d/in', dir: false, value: 'bound' },
      { key: '/d/gone', dir: false, value: 'deleted later' },
      { key: '/e', dir: true },
      { key: '/e/x', dir: false, value: 'x' },
    ];
    const done = await importV2Tree(adapter, first, { flat: true });
    expect(done).toMatchObject({ files: 4, dirs: 2, leases: 1, deleted: 0 });
    const keysOf = async () =>
      (await rawKeys(adapter.layout.prefix)).map((kv) => kv.key.slice(adapter.layout.prefix.length));
    expect(await keysOf()).toEqual(['//event', '/a', '/d/', '/d/gone', '/d/in', '/e/', '/e/x']);
    const second = [
      { key: '/a', dir: true },
      { key: '/a/now', dir: false, value: 'a directory now' },
      { key: '/d', dir: true, expiration: later },
      { key: '/d/in', dir: false, value: 'bound' },
      { key: '/e', dir: false, value: 'a file now' },
    ];
    // The dry run reads the target: 4 keys the source no longer has (the file /a, /d/gone, /e/, /e/x).
    const plan = await importV2Tree(adapter, second, { flat: true, dryRun: true });
    expect(plan).toMatchObject({ files: 3, dirs: 2, leases: 1, deleted: 4, batches: 2 });
    expect(await keysOf()).toEqual(['//event', '/a', '/d/', '/d/gone', '/d/in', '/e/', '/e/x']);
    const again = await importV2Tree(adapter, second, { flat: true });
    expect(again).toMatchObject({ files: 3, dirs: 2, leases: 1, deleted: 4, batches: 2 });
    expect(await keysOf()).toEqual(['//event', '/a/', '/a/now', '/d/', '/d/in', '/e']);
    const client = etcdV3(url, { prefix: adapter.layout.prefix });
    try {
      const got = await client.get('/', { recursive: true, sorted: true });
      const nodes = (got.node as Directory).nodes;
      expect(nodes.map((n) => [n.key, n.dir])).toEqual([
        ['/a', true],
        ['/d', true],
        ['/e', false],
      ]);
      expect((nodes[0] as Directory).nodes.map((n) => (n as Value).value)).toEqual(['a directory now']);
      expect(nodes[1]?.expiration?.getTime()).toBe(later.getTime());
      expect((nodes[2] as Value).value).toBe('a file now');
    } finally {
      await client.close();
    }
    // Nothing changed: nothing to delete.
    expect(await importV2Tree(adapter, second, { flat: true, dryRun: true })).toMatchObject({ deleted: 0 });
    expect(await importV2Tree(adapter, second, { flat: true })).toMatchObject({ deleted: 0 });
    expect(await keysOf()).toEqual(['//event', '/a/', '/a/now', '/d/', '/d/in', '/e']);
  });

  it('refuses what it cannot write before writing anything', async () => {
    const adapter = adapterFor('refused');
    const huge = dir('/', [file('/small', 's'), file('/huge', 'x'.repeat(2 * 1024 * 1024))]);
    await expect(importV2Tree(adapter, huge)).rejects.toThrow(RangeError);
    expect(await rawKeys(adapter.layout.prefix)).toEqual([]);
    await expect(importV2Tree({} as V3Adapter, huge)).rejects.toThrow(TypeError);
    await expect(importV2Tree(adapter, huge, { maxOps: 1 })).rejects.toThrow(RangeError);
    await expect(importV2Tree(adapter, dir('/', [file('relative', 'x')]))).rejects.toThrow(TypeError);
  });

  it('writes flat nodes as they arrive (an async iterable): before the last has come, and the tree reads back whole', async () => {
    const adapter = adapterFor('arriving');
    const soon = new Date(Date.now() + 60_000);
    const flatNodes = [
      { key: '/q', dir: true },
      ...Array.from({ length: 30 }, (_, i) => ({
        key: `/q/k${String(i).padStart(2, '0')}`,
        dir: false,
        value: `v${i}`,
      })),
      { key: '/tmp', dir: true, expiration: soon },
      { key: '/tmp/in', dir: false, value: 'goes with /tmp' },
      { key: '/empty', dir: true },
    ];
    // The last nodes are held back until the first transactions have committed.
    let committed: () => void = () => {};
    const firstCommitted = new Promise<void>((resolve) => {
      committed = resolve;
    });
    async function* arrive() {
      yield* flatNodes.slice(0, 25);
      await firstCommitted;
      yield* flatNodes.slice(25);
    }
    const progress: Array<[number, number]> = [];
    const done = await importV2Tree(adapter, arrive(), {
      flat: true,
      maxOps: 10,
      inFlight: 1,
      onProgress: (n, total) => {
        progress.push([n, total]);
        committed();
      },
    });
    expect(done).toMatchObject({ files: 31, dirs: 3, leases: 1, deleted: 0, batches: 4 });
    // Progress counts against the nodes met so far: the first transaction (9 nodes) committed
    // while the second was being filled (19 met when it was full and waited for the first).
    expect(progress[0]).toEqual([9, 19]);
    expect(progress[progress.length - 1]).toEqual([34, 34]);
    const client = etcdV3(url, { prefix: adapter.layout.prefix });
    try {
      const got = await client.get('/', { recursive: true, sorted: true });
      const nodes = (got.node as Directory).nodes;
      expect(nodes.map((n) => n.key)).toEqual(['/empty', '/q', '/tmp']);
      expect((nodes[1] as Directory).values).toEqual(
        flatNodes.slice(1, 31).map((n) => (n as { value?: string }).value),
      );
      expect(nodes[2]?.expiration?.getTime()).toBe(soon.getTime());
      expect(((nodes[2] as Directory).nodes[0] as Value).value).toBe('goes with /tmp');
    } finally {
      await client.close();
    }
    // A dry run of nodes that arrive counts them and what it would delete (nothing: same tree).
    async function* again() {
      yield* flatNodes;
    }
    expect(await importV2Tree(adapter, again(), { flat: true, dryRun: true })).toMatchObject({
      files: 31,
      dirs: 3,
      deleted: 0,
    });
  });

  it('nodes that arrive: an error of the iterable, or a node too large, rejects once the transactions in flight have ended; what came before stays', async () => {
    const adapter = adapterFor('arriving-fails');
    const cut = new Error('the source went away');
    async function* broken() {
      for (let i = 0; i < 20; i++) yield { key: `/b${String(i).padStart(2, '0')}`, dir: false, value: 'x' };
      throw cut;
    }
    await expect(importV2Tree(adapter, broken(), { flat: true, maxOps: 10 })).rejects.toBe(cut);
    // Two full transactions of 9 went before the error; the rest, never complete, was not sent.
    const written = (await rawKeys(adapter.layout.prefix)).map((kv) => kv.key);
    expect(written.filter((key) => key !== `${adapter.layout.prefix}//event`)).toHaveLength(18);
    async function* tooLarge() {
      for (let i = 0; i < 20; i++) yield { key: `/s${String(i).padStart(2, '0')}`, dir: false, value: 'x' };
      yield { key: '/huge', dir: false, value: 'x'.repeat(2 * 1024 * 1024) };
    }
    await expect(importV2Tree(adapterFor('arriving-large'), tooLarge(), { flat: true })).rejects.toThrow(
      /\/huge does not fit/,
    );
    // Nodes that arrive must be flat: they are walked once, with no record of directories.
    await expect(importV2Tree(adapter, tooLarge())).rejects.toThrow(/must be flat/);
  });
});

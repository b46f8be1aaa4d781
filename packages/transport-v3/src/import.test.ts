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

  it('refuses what it cannot write before writing anything', async () => {
    const adapter = adapterFor('refused');
    const huge = dir('/', [file('/small', 's'), file('/huge', 'x'.repeat(2 * 1024 * 1024))]);
    await expect(importV2Tree(adapter, huge)).rejects.toThrow(RangeError);
    expect(await rawKeys(adapter.layout.prefix)).toEqual([]);
    await expect(importV2Tree({} as V3Adapter, huge)).rejects.toThrow(TypeError);
    await expect(importV2Tree(adapter, huge, { maxOps: 1 })).rejects.toThrow(RangeError);
    await expect(importV2Tree(adapter, dir('/', [file('relative', 'x')]))).rejects.toThrow(TypeError);
  });
});

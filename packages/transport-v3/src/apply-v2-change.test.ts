// applyV2Change against the shared etcd (its v3 API), each test under a prefix of its own; the
// stored keys are checked through etcd's JSON gateway, the tree through etcdV3.
import { Directory, Value } from '@etc/client';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { applyV2Change } from './apply-v2-change.js';
import { etcdV3 } from './etcd-v3.js';
import { importV2Tree } from './import.js';
import { V3Adapter } from './v3-adapter.js';

const url = inject('etcdUrl');
const adapters: V3Adapter[] = [];
const adapterFor = (prefix: string) => {
  const adapter = new V3Adapter({ endpoints: url, prefix: `/apply-${process.pid}-${prefix}` });
  adapters.push(adapter);
  return adapter;
};
afterAll(async () => {
  await Promise.all(adapters.map((a) => a.close()));
});

/** The v3 keys under a prefix with their leases and values, from etcd's JSON gateway. */
async function rawKeys(prefix: string): Promise<Map<string, { lease: string; value: string }>> {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const response = await fetch(`${url}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: b64(`${prefix}/`), range_end: b64(`${prefix}0`) }),
  });
  const body = (await response.json()) as { kvs?: Array<{ key: string; lease?: string; value?: string }> };
  return new Map(
    (body.kvs ?? []).map((kv) => [
      Buffer.from(kv.key, 'base64').toString().slice(prefix.length),
      { lease: kv.lease ?? '0', value: Buffer.from(kv.value ?? '', 'base64').toString() },
    ]),
  );
}

const file = (key: string, value: string, expiration?: Date) =>
  new Value({ key, value, ...(expiration === undefined ? {} : { expiration }) });
const dir = (key: string, expiration?: Date) =>
  new Directory({ key, ...(expiration === undefined ? {} : { expiration }) });

describe('applyV2Change', () => {
  it('puts a node with its parents, replaces the other kind, deletes subtrees, records the action', async () => {
    const adapter = adapterFor('kinds');
    const prefix = adapter.layout.prefix;
    await applyV2Change(adapter, { action: 'set', node: file('/a/b/c', 'deep') });
    expect([...(await rawKeys(prefix)).keys()]).toEqual(['//event', '/a/', '/a/b/', '/a/b/c']);
    expect((await rawKeys(prefix)).get('//event')?.value).toBe('{"action":"set","key":"/a/b/c"}');
    // A file replaced by a directory (v2's set with dir=true), then a file over that directory.
    await applyV2Change(adapter, { action: 'set', node: dir('/a/b/c') });
    await applyV2Change(adapter, { action: 'create', node: file('/a/b/c/d', 'in') });
    expect([...(await rawKeys(prefix)).keys()]).toEqual(['//event', '/a/', '/a/b/', '/a/b/c/', '/a/b/c/d']);
    await applyV2Change(adapter, { action: 'set', node: file('/a/x', 'x') });
    // A removal takes the node and all below it; an expiry the lease carried out already is no error.
    const revision = await applyV2Change(adapter, { action: 'delete', node: dir('/a/b') });
    expect(revision).toBeGreaterThan(0);
    expect([...(await rawKeys(prefix)).keys()]).toEqual(['//event', '/a/', '/a/x']);
    await applyV2Change(adapter, { action: 'expire', node: file('/a/never', '') });
    expect((await rawKeys(prefix)).get('//event')?.value).toBe('{"action":"expire","key":"/a/never"}');
    await applyV2Change(adapter, { action: 'compareAndDelete', node: file('/a/x', '') });
    expect([...(await rawKeys(prefix)).keys()]).toEqual(['//event', '/a/']);
    const client = etcdV3(url, { prefix });
    try {
      await applyV2Change(adapter, { action: 'compareAndSwap', node: file('/a/y', 'swapped') });
      expect((await client.get('/a/y')).value).toBe('swapped');
    } finally {
      await client.close();
    }
  });

  it('a TTL is a lease with the exact expiration; a directory whose TTL changes takes what it holds along', async () => {
    const adapter = adapterFor('ttl');
    const prefix = adapter.layout.prefix;
    const first = new Date(Date.now() + 300_000);
    const later = new Date(Date.now() + 900_000);
    await importV2Tree(adapter, new Directory({ key: '/', nodes: [] }));
    await applyV2Change(adapter, { action: 'set', node: dir('/tmp', first) });
    await applyV2Change(adapter, { action: 'set', node: file('/tmp/in', 'goes with /tmp') });
    await applyV2Change(adapter, {
      action: 'set',
      node: file('/tmp/own', 'own TTL', new Date(first.getTime() - 60_000)),
    });
    let keys = await rawKeys(prefix);
    expect(keys.get('/tmp/in')?.lease).toBe(keys.get('/tmp/')?.lease);
    expect(keys.get('/tmp/own')?.lease).not.toBe(keys.get('/tmp/')?.lease);
    await applyV2Change(adapter, { action: 'update', node: dir('/tmp', later) });
    keys = await rawKeys(prefix);
    const lease = keys.get('/tmp/')?.lease;
    expect(keys.get('//event')?.value).toBe('{"action":"update","key":"/tmp"}');
    expect(lease).not.toBe('0');
    expect(keys.get('/tmp/in')?.lease).toBe(lease);
    const client = etcdV3(url, { prefix });
    try {
      const got = await client.get('/tmp', { recursive: true, sorted: true });
      expect(got.node.expiration?.getTime()).toBe(later.getTime());
      const nodes = (got.node as Directory).nodes;
      expect(nodes.find((n) => n.key === '/tmp/in')?.expiration).toBeUndefined();
      expect(nodes.find((n) => n.key === '/tmp/own')?.expiration?.getTime()).toBe(first.getTime() - 60_000);
      // Without a TTL any more (v2's update without one), what it holds has no lease either.
      await applyV2Change(adapter, { action: 'update', node: dir('/tmp') });
      keys = await rawKeys(prefix);
      expect(keys.get('/tmp/')?.lease).toBe('0');
      expect(keys.get('/tmp/in')?.lease).toBe('0');
      expect((await client.get('/tmp/in')).value).toBe('goes with /tmp');
      // A TTL refresh found by reading the source: recorded as a refresh (watchers are not woken).
      await applyV2Change(
        adapter,
        { action: 'set', node: file('/tmp/own', 'own TTL', later) },
        { refresh: true },
      );
      keys = await rawKeys(prefix);
      expect(keys.get('//event')?.value).toBe('{"action":"set","key":"/tmp/own","refresh":true}');
      expect((await client.get('/tmp/own')).node.expiration?.getTime()).toBe(later.getTime());
    } finally {
      await client.close();
    }
  });

  it('refuses what is not a v2 change before writing', async () => {
    const adapter = adapterFor('refused');
    await expect(applyV2Change(adapter, { action: 'get', node: file('/a', 'x') })).rejects.toThrow(TypeError);
    await expect(applyV2Change(adapter, { action: 'set', node: file('a', 'x') })).rejects.toThrow(TypeError);
    await expect(applyV2Change(adapter, { action: 'delete', node: dir('/') })).rejects.toThrow(TypeError);
    await expect(applyV2Change({} as V3Adapter, { action: 'set', node: file('/a', 'x') })).rejects.toThrow(
      TypeError,
    );
    expect((await rawKeys(adapter.layout.prefix)).size).toBe(0);
  });
});

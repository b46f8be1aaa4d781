// A directory's TTL change against a real etcd without v2: what was inside goes with the
// directory's new expiration, as on etcd v2. Expiry is not waited for: a lease is revoked through
// etcd's JSON gateway instead, which deletes what is bound to it as its running out would.
import { type Directory, KeyNotFound, RaftInternal, type Value } from '@etc/client';
import { type EtcdCluster, startEtcd } from '@etc/etcd-launcher';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { etcdV3 } from '../etcd-v3.js';

const binary = inject('etcdBin') || undefined;
let cluster: EtcdCluster;
let client: ReturnType<typeof etcdV3>;
const prefix = '/dir-ttl';

beforeAll(async () => {
  cluster = await startEtcd({ binary, name: 'dir-ttl', v2: false });
  client = etcdV3(cluster.url, { prefix });
}, 60_000);
afterAll(async () => {
  await client?.close();
  await cluster?.stop();
});

const b64 = (text: string) => Buffer.from(text).toString('base64');

/** The v3 leases of the v2 nodes below `path` (and of `path` itself), by v2 path with `/` for a directory. */
async function leases(path: string): Promise<Record<string, string>> {
  const response = await fetch(`${cluster.url}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: b64(`${prefix}${path}`), range_end: b64(`${prefix}${path}0`) }),
  });
  const body = (await response.json()) as { kvs?: Array<{ key: string; lease?: string }> };
  const out: Record<string, string> = {};
  for (const kv of body.kvs ?? [])
    out[Buffer.from(kv.key, 'base64').toString().slice(prefix.length)] = kv.lease ?? '0';
  return out;
}

/** Revokes a lease: its keys are deleted as when it runs out (a lease already gone: nothing happens). */
async function revoke(lease: string): Promise<void> {
  await fetch(`${cluster.url}/v3/lease/revoke`, { method: 'POST', body: JSON.stringify({ ID: lease }) });
}

/** Whether a lease still exists (etcd answers TTL -1 for one that does not). */
async function leaseExists(lease: string): Promise<boolean> {
  const response = await fetch(`${cluster.url}/v3/lease/timetolive`, {
    method: 'POST',
    body: JSON.stringify({ ID: lease }),
  });
  const body = (await response.json()) as { TTL?: string };
  return body.TTL !== '-1';
}

/** Waits (bounded) until a lease the adapter revokes after a write, without waiting for it, is gone. */
async function revoked(lease: string): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (!(await leaseExists(lease))) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

describe('a directory TTL change takes what the directory holds along', () => {
  it('an extended TTL: nodes bound to the old lease move to the new one, indexes and own TTLs kept', async () => {
    await client.set('/ext', { dir: true, ttl: 5 });
    const a = await client.set('/ext/a', 'va');
    const deep = await client.set('/ext/sub/deep', 'vd');
    const own = await client.set('/ext/own', 'vo', { ttl: 100 }); // ends after the directory
    const before = await leases('/ext');
    const old = before['/ext/'] as string;
    expect(before).toEqual({
      '/ext/': old,
      '/ext/a': old,
      '/ext/own': old,
      '/ext/sub/': old,
      '/ext/sub/deep': old,
    });

    const updated = await client.update('/ext', { dir: true, ttl: 60 });
    expect(updated.node).toMatchObject({ key: '/ext', dir: true, ttl: 60 });
    const after = await leases('/ext');
    const fresh = after['/ext/'] as string;
    expect(fresh).not.toBe(old);
    // /ext/own (100 s) still ends after the directory (60 s): bound to it, with its own expiration.
    expect(after).toEqual({
      '/ext/': fresh,
      '/ext/a': fresh,
      '/ext/own': fresh,
      '/ext/sub/': fresh,
      '/ext/sub/deep': fresh,
    });

    // v2 does not touch the children: same indexes, same values, same own TTL.
    const got = await client.get('/ext', { recursive: true });
    const byKey = Object.fromEntries(
      ((got.node as Directory).nodes ?? []).map((n) => [n.key, n as Value & Directory]),
    );
    expect(byKey['/ext/a']).toMatchObject({
      value: 'va',
      modifiedIndex: a.node.modifiedIndex,
      createdIndex: a.node.createdIndex,
    });
    expect(byKey['/ext/a']?.ttl).toBeUndefined();
    expect(byKey['/ext/own']).toMatchObject({ value: 'vo', modifiedIndex: own.node.modifiedIndex });
    expect(byKey['/ext/own']?.expiration?.getTime()).toBe(own.node.expiration?.getTime());
    expect(byKey['/ext/sub']?.nodes).toMatchObject([
      { key: '/ext/sub/deep', value: 'vd', modifiedIndex: deep.node.modifiedIndex },
    ]);

    // Nothing is bound to the old lease any more: the adapter revoked it. The new one takes everything.
    expect(await revoked(old)).toBe(true);
    expect(Object.keys(await leases('/ext'))).toHaveLength(5);
    await revoke(fresh);
    expect(await leases('/ext')).toEqual({});
    await expect(client.get('/ext/own')).rejects.toBeInstanceOf(KeyNotFound);
  });

  it('compares against the kept modifiedIndex, and a later write starts a new one', async () => {
    await client.set('/idx', { dir: true, ttl: 30 });
    const a = await client.set('/idx/a', '1');
    const b = await client.set('/idx/b', '1');
    const moved = await client.update('/idx', { dir: true, ttl: 40 });
    // The v3 mod_revision of /idx/b is now the update's; v2's modifiedIndex is not.
    await expect(client.delete('/idx/b', { prevIndex: moved.etcdIndex })).rejects.toMatchObject({
      errorCode: 101,
      cause: `[${moved.etcdIndex} != ${b.node.modifiedIndex}]`,
    });
    const swapped = await client.set('/idx/a', '2', { prevIndex: a.node.modifiedIndex });
    expect(swapped).toMatchObject({
      action: 'compareAndSwap',
      prevNode: { modifiedIndex: a.node.modifiedIndex },
    });
    expect(swapped.node.modifiedIndex).toBe(swapped.etcdIndex);
    const removed = await client.delete('/idx/b', { prevIndex: b.node.modifiedIndex });
    expect(removed.action).toBe('compareAndDelete');
    const dirLease = (await leases('/idx'))['/idx/'];
    expect((await leases('/idx'))['/idx/a']).toBe(dirLease);
  });

  it('a shortened TTL binds a node whose own TTL now ends later; one that still ends first keeps its lease', async () => {
    await client.set('/short', { dir: true, ttl: 60 });
    const later = await client.set('/short/later', 'x', { ttl: 30 }); // own lease: ends first
    await client.set('/short/first', 'y', { ttl: 3 }); // own lease, ends first even after
    const before = await leases('/short');
    expect(before['/short/later']).not.toBe(before['/short/']);
    await client.update('/short', { dir: true, ttl: 10 });
    const after = await leases('/short');
    expect(after['/short/later']).toBe(after['/short/']);
    expect(await revoked(before['/short/later'] as string)).toBe(true);
    expect(await leaseExists(after['/short/first'] as string)).toBe(true);
    expect(after['/short/first']).toBe(before['/short/first']);
    const got = await client.get('/short/later');
    expect(got.node.expiration?.getTime()).toBe(later.node.expiration?.getTime());
    await revoke(after['/short/'] as string);
    await expect(client.get('/short/later')).rejects.toBeInstanceOf(KeyNotFound);
  });

  it('a removed TTL frees what was inside; a node with its own TTL gets a lease of its own', async () => {
    await client.set('/perm', { dir: true, ttl: 60 });
    await client.set('/perm/a', 'a');
    const own = await client.set('/perm/own', 'o', { ttl: 100 });
    const old = (await leases('/perm'))['/perm/'] as string;
    const updated = await client.update('/perm', { dir: true });
    expect(updated.node.ttl).toBeUndefined();
    const after = await leases('/perm');
    expect(after['/perm/']).toBe('0');
    expect(after['/perm/a']).toBe('0');
    expect(after['/perm/own']).not.toBe('0');
    expect(after['/perm/own']).not.toBe(old);
    const got = await client.get('/perm/own');
    expect(got.node.expiration?.getTime()).toBe(own.node.expiration?.getTime());
    await revoke(old);
    expect((await client.get('/perm/a')).node).toMatchObject({ value: 'a' });
  });

  it('a directory that gains a TTL takes its existing content along', async () => {
    await client.set('/gain/x/y', 'v');
    await client.update('/gain', { dir: true, ttl: 60 });
    const after = await leases('/gain');
    expect(after['/gain/x/']).toBe(after['/gain/']);
    expect(after['/gain/x/y']).toBe(after['/gain/']);
    await revoke(after['/gain/'] as string);
    expect(await leases('/gain')).toEqual({});
  });

  it('nested directories: a nested directory whose own TTL now ends later is bound, with what it holds', async () => {
    await client.set('/nest', { dir: true, ttl: 60 });
    await client.set('/nest/inner', { dir: true, ttl: 30 });
    await client.set('/nest/inner/leaf', 'l');
    const before = await leases('/nest');
    expect(before['/nest/inner/leaf']).toBe(before['/nest/inner/']);
    expect(before['/nest/inner/']).not.toBe(before['/nest/']);
    await client.update('/nest', { dir: true, ttl: 10 });
    const after = await leases('/nest');
    expect(after['/nest/inner/']).toBe(after['/nest/']);
    expect(after['/nest/inner/leaf']).toBe(after['/nest/']);
    // An update of the nested directory itself moves its content too.
    await client.update('/nest/inner', { dir: true, ttl: 5 });
    const inner = await leases('/nest');
    expect(inner['/nest/inner/']).not.toBe(inner['/nest/']);
    expect(inner['/nest/inner/leaf']).toBe(inner['/nest/inner/']);
  });

  it('a refresh moves the content without waking its watchers; an update wakes only the directory event', async () => {
    await client.set('/beat', { dir: true, ttl: 30 });
    await client.set('/beat/svc', 'up');
    const child = client.wait('/beat/svc');
    const tree = client.wait('/beat', { recursive: true });
    await client.update('/beat', { dir: true, ttl: 40, refresh: true });
    const afterRefresh = await leases('/beat');
    expect(afterRefresh['/beat/svc']).toBe(afterRefresh['/beat/']);
    const update = await client.update('/beat', { dir: true, ttl: 50 });
    // The recursive wait on the directory sees the update of the directory, not its children.
    await expect(tree).resolves.toMatchObject({ action: 'update', node: { key: '/beat', dir: true } });
    const set = await client.set('/beat/svc', 'down');
    // The child's wait saw neither the refresh nor the update: its first event is its own set.
    await expect(child).resolves.toMatchObject({
      action: 'set',
      node: { key: '/beat/svc', modifiedIndex: set.node.modifiedIndex },
    });
    expect(update.etcdIndex).toBeLessThan(set.etcdIndex);
  });

  it('more nodes than etcd takes in one transaction: a typed error, and nothing changes', async () => {
    await client.set('/many', { dir: true, ttl: 60 });
    for (let i = 0; i < 130; i++) await client.set(`/many/k${i}`, 'v');
    const before = await leases('/many');
    const error = await client.update('/many', { dir: true, ttl: 90 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RaftInternal);
    expect(String((error as RaftInternal).cause)).toMatch(/too many operations/);
    expect(await leases('/many')).toEqual(before);
  }, 30_000);
});

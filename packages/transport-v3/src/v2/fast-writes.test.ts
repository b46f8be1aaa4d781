// The one-transaction forms of v2 writes against a real etcd: how many v3 transactions each write
// takes (counted on the connection), and that the state read in the failure branch decides the
// uncommon cases exactly as the general path does.
import { KeyNotFound, NodeExist, TestFailed } from '@etc/client';
import { type EtcdCluster, startEtcd } from '@etc/etcd-launcher';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { etcdV3 } from '../etcd-v3.js';
import { GrpcConnection } from '../grpc/connection.js';
import { V3Adapter } from '../v3-adapter.js';

const binary = inject('etcdBin') || undefined;
let cluster: EtcdCluster;
let client: ReturnType<typeof etcdV3>;

beforeAll(async () => {
  cluster = await startEtcd({ binary, name: 'fast-writes', v2: false });
  client = etcdV3(cluster.url);
}, 60_000);
afterAll(async () => {
  await client?.close();
  await cluster?.stop();
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs `fn` and returns what it resolved or rejected with and the KV calls it made, by method. */
async function counted<T>(fn: () => Promise<T>): Promise<{ outcome: T | unknown; calls: string[] }> {
  const calls: string[] = [];
  const unary = GrpcConnection.prototype.unary;
  vi.spyOn(GrpcConnection.prototype, 'unary').mockImplementation(function (
    this: GrpcConnection,
    ...args: Parameters<typeof unary>
  ) {
    calls.push(args[0].slice(args[0].lastIndexOf('/') + 1));
    return unary.apply(this, args);
  });
  try {
    return { outcome: await fn().catch((error: unknown) => error), calls };
  } finally {
    vi.restoreAllMocks();
  }
}

describe('one transaction per common write', () => {
  it('update and compare-and-swap of a file take one transaction and keep its createdIndex', async () => {
    const created = await client.set('/fw/swap/a', '1');
    const update = await counted(() => client.update('/fw/swap/a', '2'));
    expect(update.calls).toEqual(['Txn']);
    expect(update.outcome).toMatchObject({
      action: 'update',
      node: { key: '/fw/swap/a', value: '2', createdIndex: created.node.createdIndex },
      prevNode: { value: '1', modifiedIndex: created.node.modifiedIndex },
    });
    const swap = await counted(() => client.set('/fw/swap/a', '3', { prevValue: '2' }));
    expect(swap.calls).toEqual(['Txn']);
    expect(swap.outcome).toMatchObject({
      action: 'compareAndSwap',
      node: { value: '3', createdIndex: created.node.createdIndex },
      prevNode: { value: '2' },
    });
    const byIndex = await counted(() =>
      client.update('/fw/swap/a', '4', { prevIndex: (swap.outcome as typeof created).node.modifiedIndex }),
    );
    expect(byIndex.calls).toEqual(['Txn']);
    expect(byIndex.outcome).toMatchObject({ action: 'compareAndSwap', node: { value: '4' } });
    // A plain read agrees with what the writes answered.
    const got = await client.get('/fw/swap/a', { quorum: true });
    expect(got.node).toMatchObject({ value: '4', createdIndex: created.node.createdIndex });
  });

  it('a failed compare, a missing key or an existing one is answered from the same transaction', async () => {
    const first = await client.set('/fw/fail/a', 'v');
    const before = (await client.get('/fw/fail/a', { quorum: true })).etcdIndex;
    const swap = await counted(() => client.set('/fw/fail/a', 'w', { prevValue: 'nope', prevIndex: 1 }));
    expect(swap.calls).toEqual(['Txn']);
    expect(swap.outcome).toBeInstanceOf(TestFailed);
    expect(swap.outcome).toMatchObject({
      cause: `[nope != v] [1 != ${first.node.modifiedIndex}]`,
      index: before,
    });
    const cad = await counted(() => client.delete('/fw/fail/a', { prevValue: 'nope' }));
    expect(cad.calls).toEqual(['Txn']);
    expect(cad.outcome).toMatchObject({ errorCode: 101, cause: '[nope != v]', index: before });
    const missing = await counted(() => client.delete('/fw/fail/none'));
    expect(missing.calls).toEqual(['Txn']);
    expect(missing.outcome).toBeInstanceOf(KeyNotFound);
    expect(missing.outcome).toMatchObject({ cause: '/fw/fail/none', index: before });
    const updateMissing = await counted(() => client.update('/fw/fail/none', 'x'));
    expect(updateMissing.calls).toEqual(['Txn']);
    expect(updateMissing.outcome).toBeInstanceOf(KeyNotFound);
    const exists = await counted(() => client.create('/fw/fail/a', 'x'));
    expect(exists.calls).toEqual(['Txn']);
    expect(exists.outcome).toBeInstanceOf(NodeExist);
    expect(exists.outcome).toMatchObject({ cause: '/fw/fail/a', index: before });
    // None of them took a revision.
    expect((await client.get('/fw/fail/a', { quorum: true })).etcdIndex).toBe(before);
    const cadOk = await counted(() => client.delete('/fw/fail/a', { prevValue: 'v' }));
    expect(cadOk.calls).toEqual(['Txn']);
    expect(cadOk.outcome).toMatchObject({
      action: 'compareAndDelete',
      node: { key: '/fw/fail/a', createdIndex: first.node.createdIndex, modifiedIndex: before + 1 },
      prevNode: { value: 'v' },
    });
  });

  it('a file whose value carries metadata is updated through the general path, with its createdIndex', async () => {
    await client.set('/fw/meta/a', 'x');
    // A set over a file starts a new node in v2: its createdIndex is kept in the value.
    const replaced = await client.set('/fw/meta/a', 'y');
    // This adapter saw the set over the file: it reads, then writes.
    const update = await counted(() => client.update('/fw/meta/a', 'z'));
    expect(update.calls).toEqual(['Txn', 'Txn']);
    expect(update.outcome).toMatchObject({
      action: 'update',
      node: { value: 'z', createdIndex: replaced.node.createdIndex },
      prevNode: { value: 'y', createdIndex: replaced.node.createdIndex },
    });
    // Another adapter did not: its one transaction fails on the value and reads the state in the
    // same call, then commits; from then on it knows.
    const other = etcdV3(cluster.url);
    try {
      const swap = await counted(() => other.set('/fw/meta/a', 'w', { prevValue: 'z' }));
      expect(swap.calls).toEqual(['Txn', 'Txn']);
      expect(swap.outcome).toMatchObject({ node: { value: 'w', createdIndex: replaced.node.createdIndex } });
      const again = await counted(() => other.set('/fw/meta/a', 'v', { prevValue: 'w' }));
      expect(again.calls).toEqual(['Txn', 'Txn']);
      expect(again.outcome).toMatchObject({ node: { value: 'v', createdIndex: replaced.node.createdIndex } });
      // Replaced by a new node (raw again): one transaction once more, in both adapters.
      await other.delete('/fw/meta/a');
      const recreated = await other.create('/fw/meta/a', 'n');
      const fresh = await counted(() => other.update('/fw/meta/a', 'm'));
      expect(fresh.calls).toEqual(['Txn']);
      expect(fresh.outcome).toMatchObject({
        node: { value: 'm', createdIndex: recreated.node.createdIndex },
      });
    } finally {
      await other.close();
    }
    expect((await client.get('/fw/meta/a')).node).toMatchObject({ value: 'm' });
  });

  it('values a raw compare cannot tell (empty, beginning with NUL, the envelope mark) take the general path', async () => {
    for (const [i, value] of ['', '\0a', '\0etc\0{}\0v', 'plain'].entries()) {
      const key = `/fw/odd/${i}`;
      const created = await client.create(key, value);
      const update = await counted(() => client.update(key, `${value}!`));
      expect(update.calls.length).toBe(value === 'plain' ? 1 : 2);
      expect(update.outcome).toMatchObject({
        action: 'update',
        node: { value: `${value}!`, createdIndex: created.node.createdIndex },
        prevNode: { value },
      });
      if (value === '') continue; // an empty prevValue is refused before anything is sent
      const swap = await counted(() => client.update(key, value, { prevValue: `${value}!` }));
      expect(swap.calls.length).toBe(value === 'plain' ? 1 : 2);
      expect(swap.outcome).toMatchObject({
        action: 'compareAndSwap',
        node: { value, createdIndex: created.node.createdIndex },
        prevNode: { value: `${value}!` },
      });
      expect((await client.get(key)).value).toBe(value);
    }
  });

  it('writes below a missing parent or a file take two transactions: the failure branch is the read', async () => {
    const set = await counted(() => client.set('/fw/deep/a/b/c', 'v'));
    expect(set.calls).toEqual(['Txn', 'Txn']);
    expect(set.outcome).toMatchObject({ action: 'set', node: { key: '/fw/deep/a/b/c', value: 'v' } });
    await client.set('/fw/deep/file', 'f');
    const under = await counted(() => client.set('/fw/deep/file/x', 'v'));
    expect(under.calls).toEqual(['Txn']);
    expect(under.outcome).toMatchObject({ errorCode: 104, cause: '/fw/deep/file' });
  });

  it('prevExist false is a create whatever prevValue or prevIndex say, and prevIndex 0 with prevExist an update, as in etcd v2', async () => {
    const adapter = new V3Adapter({ endpoints: cluster.url });
    try {
      const created = await adapter.set({ key: '/fw/pe/a', value: 'v', prevExist: false, prevValue: 'x' });
      expect(created).toMatchObject({ action: 'create', node: { key: '/fw/pe/a', value: 'v' } });
      const again = await adapter
        .set({ key: '/fw/pe/a', value: 'w', prevExist: false, prevIndex: created.node.modifiedIndex })
        .catch((error: unknown) => error);
      expect(again).toMatchObject({ errorCode: 105, cause: '/fw/pe/a' });
      const update = await adapter.set({ key: '/fw/pe/a', value: 'u', prevExist: true, prevIndex: 0 });
      expect(update).toMatchObject({ action: 'update', node: { value: 'u' }, prevNode: { value: 'v' } });
    } finally {
      await adapter.close();
    }
  });
});

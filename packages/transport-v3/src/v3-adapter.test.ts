import { inspect } from 'node:util';
import { ConnectionError, ConnectionRefused, EventIndexCleared, Got, Unauthorized, Value } from '@etc/client';
import { type EtcdCluster, freePort, startEtcd, startProxy } from '@etc/etcd-launcher';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { etcdV3 } from './etcd-v3.js';
import { DEFAULT_ATTEMPT_TIMEOUT, resolveV3Options } from './options.js';
import { V3Adapter } from './v3-adapter.js';

const binary = inject('etcdBin') || undefined;
let cluster: EtcdCluster;
const url = () => cluster.url;

/** A call to etcd's v3 JSON gateway (keys and values base64), independent of the adapter. */
async function gateway(path: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = token ? { authorization: token } : {};
  const response = await fetch(`${url()}${path}`, { method: 'POST', body: JSON.stringify(body), headers });
  return (await response.json()) as Record<string, unknown>;
}
const b64 = (text: string) => Buffer.from(text).toString('base64');
const text = (b: unknown) => Buffer.from(String(b ?? ''), 'base64').toString();

async function metric(name: string): Promise<number> {
  const body = await (await fetch(`${url()}/metrics`)).text();
  const line = body.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not reached');
}

beforeAll(async () => {
  cluster = await startEtcd({ binary, name: 'v3-adapter', v2: false });
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

describe('V3Adapter on an etcd without the v2 API', () => {
  it('one v2 write is one v3 revision: indexes are revisions and advance by one', async () => {
    const client = etcdV3(url());
    try {
      const a = await client.set('/rev/a', '1');
      const b = await client.set('/rev/b', '2');
      expect(b.modifiedIndex).toBe((a.modifiedIndex ?? 0) + 1);
      expect(b.etcdIndex).toBe(b.modifiedIndex);
      const header = (await gateway('/v3/kv/range', { key: b64('/nothing') })).header as { revision: string };
      expect(Number(header.revision)).toBe(b.etcdIndex);
      const got = await client.get('/rev/b', { quorum: true });
      expect(got.etcdIndex).toBe(b.etcdIndex);
      expect(got.raftTerm).toBeTypeOf('number');
    } finally {
      await client.close();
    }
  });

  it('stores the documented layout: raw values at prefix + key, directories as keys with a slash', async () => {
    const client = etcdV3(url(), { prefix: '/custom/' });
    try {
      await client.set('/lay/x', 'plain value');
      const file = (await gateway('/v3/kv/range', { key: b64('/custom/lay/x') })).kvs as Array<
        Record<string, unknown>
      >;
      expect(text(file[0]?.value)).toBe('plain value');
      const dir = (await gateway('/v3/kv/range', { key: b64('/custom/lay/') })).kvs as unknown[];
      expect(dir).toHaveLength(1);
      const record = (await gateway('/v3/kv/range', { key: b64('/custom//event') })).kvs as Array<
        Record<string, unknown>
      >;
      expect(JSON.parse(text(record[0]?.value))).toEqual({ action: 'set', key: '/lay/x' });
      // The default prefix does not see the custom one.
      const other = etcdV3(url());
      await expect(other.get('/lay/x')).rejects.toMatchObject({ errorCode: 100 });
      await other.close();
    } finally {
      await client.close();
    }
  });

  it('1,000 waits of one adapter share ONE Watch stream and ONE server watcher', async () => {
    // Nothing else watches this etcd now (earlier tests closed their clients).
    await until(async () => (await metric('etcd_debugging_mvcc_watcher_total')) === 0);
    const streamsBefore = await metric('etcd_debugging_mvcc_watch_stream_total');
    const client = etcdV3(url());
    const writer = etcdV3(url());
    try {
      // 1,000 waits for the future (from the next index), so none can be answered from the past:
      // 20 on each of 50 keys, half of them recursive.
      const next = (await client.get('/')).etcdIndex + 1;
      const waits = Array.from({ length: 1000 }, (_, i) =>
        client.wait(`/many/k${i % 50}`, { index: next, recursive: i % 2 === 0 }),
      );
      await until(async () => (await metric('etcd_debugging_mvcc_watcher_total')) === 1);
      expect(await metric('etcd_debugging_mvcc_watch_stream_total')).toBe(streamsBefore + 1);
      await Promise.all(Array.from({ length: 50 }, (_, i) => writer.set(`/many/k${i}`, `v${i}`)));
      const results = await Promise.all(waits);
      expect(results.map((r) => r.value)).toEqual(Array.from({ length: 1000 }, (_, i) => `v${i % 50}`));
      // Waits from past indexes get watchers of their own, cancelled once answered.
      const past = await Promise.all([
        client.wait('/many/k0', { index: next }),
        client.wait('/many/k1', { index: next }),
      ]);
      expect(past.map((r) => r.value)).toEqual(['v0', 'v1']);
      expect(await metric('etcd_debugging_mvcc_watch_stream_total')).toBe(streamsBefore + 1);
      await until(async () => (await metric('etcd_debugging_mvcc_watcher_total')) <= 1);
    } finally {
      await client.close();
      await writer.close();
    }
  });

  it('a wait that starts just after an event answers from the shared watcher without missing it', async () => {
    const client = etcdV3(url());
    try {
      const keep = client.wait('/buffer/other'); // keeps the shared watcher up
      const set = await client.set('/buffer/k', 'v1');
      const event = await client.wait('/buffer/k', { index: set.modifiedIndex });
      expect(event.value).toBe('v1');
      const next = client.wait('/buffer/k');
      const again = await client.set('/buffer/k', 'v2');
      expect((await next).modifiedIndex).toBe(again.modifiedIndex);
      expect((await next).etcdIndex).toBeLessThan(again.modifiedIndex ?? 0);
      await client.set('/buffer/other', 'x');
      expect((await keep).value).toBe('x');
    } finally {
      await client.close();
    }
  });

  it('attemptTimeout bounds a wait only until etcd has created its watch: longer waits go on', async () => {
    const client = etcdV3(url(), { attemptTimeout: 1_000 });
    const writer = etcdV3(url());
    try {
      const start = await writer.set('/attempt/base', 'x');
      const future = client.wait('/attempt/future'); // on the shared watcher
      const past = client.wait('/attempt/past', { index: start.modifiedIndex }); // a watcher of its own
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const a = await writer.set('/attempt/future', 'a');
      const b = await writer.set('/attempt/past', 'b');
      expect((await future).modifiedIndex).toBe(a.modifiedIndex);
      expect((await past).modifiedIndex).toBe(b.modifiedIndex);
    } finally {
      await client.close();
      await writer.close();
    }
  });

  it('a wait before the last compaction is 401 with v2 cause; watch() then yields a snapshot', async () => {
    const client = etcdV3(url());
    try {
      const first = await client.set('/compacted/k', 'v0');
      const second = await client.set('/compacted/k', 'v1');
      await gateway('/v3/kv/compaction', { revision: second.etcdIndex, physical: true });
      const error = await client.wait('/compacted/k', { index: first.etcdIndex }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EventIndexCleared);
      expect(error).toMatchObject({
        errorCode: 401,
        message: 'The event in requested index is outdated and cleared',
        cause: `the requested history has been cleared [${second.etcdIndex}/${first.etcdIndex}]`,
      });
      // From the compaction revision itself the history is still there.
      const fromSecond = await client.wait('/compacted/k', { index: second.etcdIndex });
      expect(fromSecond.value).toBe('v1');
      const iterator = client.watch('/compacted/k', { index: first.etcdIndex })[Symbol.asyncIterator]();
      const snapshot = (await iterator.next()).value;
      expect(snapshot).toBeInstanceOf(Got);
      expect(snapshot?.node).toBeInstanceOf(Value);
      expect(snapshot?.value).toBe('v1');
      await iterator.return?.();
    } finally {
      await client.close();
    }
  });

  it('in-order keys are named by their createdIndex, unique and in commit order under concurrent appenders', async () => {
    const a = etcdV3(url());
    const b = etcdV3(url());
    try {
      const created = await Promise.all(
        Array.from({ length: 24 }, (_, i) => (i % 2 ? a : b).append('/queue', `item${i}`)),
      );
      const names = created.map((r) => r.key.slice('/queue/'.length));
      expect(new Set(names).size).toBe(24);
      for (const r of created) expect(r.key).toBe(`/queue/${String(r.createdIndex).padStart(20, '0')}`);
      const listed = await a.get('/queue', { sorted: true });
      const byIndex = [...created].sort((x, y) => (x.createdIndex ?? 0) - (y.createdIndex ?? 0));
      expect(listed.nodes?.map((n) => n.key)).toEqual(byIndex.map((r) => r.key));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('appends after in-order keys named by another counter (a migrated v2 store ahead of the revision)', async () => {
    const client = etcdV3(url());
    try {
      // What a migration writes: the directory and a key named by v2's index 9999.
      await gateway('/v3/kv/put', { key: b64('/etc-v2/migrated/'), value: '' });
      await gateway('/v3/kv/put', { key: b64('/etc-v2/migrated/00000000000000009999'), value: b64('old') });
      const appended = await client.append('/migrated', 'new');
      expect(appended.key).toBe('/migrated/00000000000000010000');
      expect(appended.createdIndex).toBeLessThan(10_000);
      const listed = await client.get('/migrated', { sorted: true });
      expect(listed.values).toEqual(['old', 'new']);
    } finally {
      await client.close();
    }
  });

  it('a node with a longer TTL of its own inside a directory with a TTL goes with the directory', async () => {
    const client = etcdV3(url());
    try {
      const dir = await client.set('/ttl-dir/d', { dir: true, ttl: 1 });
      const child = await client.set('/ttl-dir/d/long', 'v', { ttl: 100 });
      expect(child.ttl).toBe(100);
      expect((await client.get('/ttl-dir/d/long')).ttl).toBeGreaterThan(90);
      const expired = await client.wait('/ttl-dir/d/long', { index: child.etcdIndex + 1, timeout: 20_000 });
      expect(expired.action).toBe('expire');
      expect(expired.key).toBe('/ttl-dir/d');
      expect(expired.createdIndex).toBe(dir.createdIndex);
      await expect(client.get('/ttl-dir/d/long')).rejects.toMatchObject({
        errorCode: 100,
        cause: '/ttl-dir/d',
      });
      // Made again, the directory is empty: nothing of the old one comes back.
      await client.set('/ttl-dir/d', { dir: true });
      expect((await client.get('/ttl-dir/d')).nodes).toEqual([]);
    } finally {
      await client.close();
    }
  }, 30_000);

  it('refreshes and rewrites leave no leases behind, and revoking them takes no index', async () => {
    const client = etcdV3(url());
    const ids = async () =>
      new Set(
        ((await gateway('/v3/lease/leases', {})).leases as Array<{ ID: string }> | undefined)?.map(
          (l) => l.ID,
        ),
      );
    const before = await ids();
    const added = async () => [...(await ids())].filter((id) => !before.has(id));
    try {
      const set = await client.set('/leases/k', 'v', { ttl: 100 });
      const [first] = await added();
      expect(first).toBeDefined();
      await client.refresh('/leases/k', 100);
      await client.refresh('/leases/k', 100);
      const updated = await client.update('/leases/k', 'w', { ttl: 100 });
      // Only the lease of the last write is left.
      await until(async () => {
        const now = await added();
        return now.length === 1 && now[0] !== first;
      });
      expect(updated.modifiedIndex).toBe((set.modifiedIndex ?? 0) + 3);
      const next = await client.set('/leases/other', 'x');
      expect(next.modifiedIndex).toBe((updated.modifiedIndex ?? 0) + 1);
      await client.delete('/leases/k');
      await until(async () => (await added()).length === 0);
    } finally {
      await client.close();
    }
  });

  it('a refused connection is ConnectionRefused; close() rejects pending waits and later calls', async () => {
    const nobody = etcdV3(`http://127.0.0.1:${await freePort()}`);
    await expect(nobody.get('/x')).rejects.toBeInstanceOf(ConnectionRefused);
    await nobody.close();

    const client = etcdV3(url());
    await client.get('/');
    const pending = client.wait('/closing/never');
    const settled = pending.catch((e: unknown) => e);
    await client.close();
    expect(await settled).toBeInstanceOf(ConnectionError);
    await expect(client.get('/')).rejects.toBeInstanceOf(ConnectionError);
    await client.close(); // idempotent
  });

  it('checks its options before connecting', () => {
    expect(() => new V3Adapter({ prefix: 5 as unknown as string })).toThrow(TypeError);
    expect(() => new V3Adapter({ timeout: 0 })).toThrow(/timeout/);
    expect(() => new V3Adapter({ endpoints: 'http://u:p@127.0.0.1:2379' })).toThrow(/credentials/);
    expect(() => new V3Adapter({ endpoints: 'ftp://127.0.0.1' })).toThrow(/http/);
    expect(() => new V3Adapter({ syncInterval: 0 })).toThrow(/syncInterval/);
    expect(() => new V3Adapter({ syncInterval: '5' as never })).toThrow(/syncInterval/);
    expect(() => new V3Adapter({ sync: 4 } as never)).toThrow(/unknown option "sync"/);
    expect(() => new V3Adapter({ connections: 0 })).toThrow(/connections/);
    expect(new V3Adapter({ connections: 4 }).url).toBe('http://127.0.0.1:2379');
    expect(() => new V3Adapter({ auth: { username: '', password: 'x' } })).toThrow(/username/);
    expect(() => etcdV3(url(), { endpoints: 'http://x' } as never)).toThrow(/first argument/);
    expect(new V3Adapter({ endpoints: 'http://127.0.0.1:1,http://127.0.0.1:2' }).url).toBe(
      'http://127.0.0.1:1',
    );
    // One attempt is bounded by default, above etcd's own request timeout (7 s with its defaults).
    expect(DEFAULT_ATTEMPT_TIMEOUT).toBe(10_000);
    expect(resolveV3Options(undefined).attemptTimeout).toBe(DEFAULT_ATTEMPT_TIMEOUT);
    expect(resolveV3Options({ attemptTimeout: Number.POSITIVE_INFINITY }).attemptTimeout).toBe(
      Number.POSITIVE_INFINITY,
    );
    expect(() => new V3Adapter({ attemptTimeout: 0 })).toThrow(/attemptTimeout/);
  });
});

describe('V3Adapter with etcd v3 auth', () => {
  let secured: EtcdCluster;
  beforeAll(async () => {
    // Tokens live 1 s, so the adapter has to fetch a new one during the test.
    secured = await startEtcd({ binary, name: 'v3-auth', v2: false, extraArgs: ['--auth-token-ttl', '1'] });
    const post = (path: string, body: unknown) =>
      fetch(`${secured.url}${path}`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());
    await post('/v3/auth/user/add', { name: 'root', password: 'rootpw' });
    await post('/v3/auth/user/grant', { user: 'root', role: 'root' });
    await post('/v3/auth/enable', {});
  }, 60_000);
  afterAll(async () => {
    await secured?.stop();
  });

  it('authenticates for a token; wrong or missing credentials are Unauthorized without the password', async () => {
    const good = etcdV3(secured.url, { auth: { username: 'root', password: 'rootpw' } });
    const bad = etcdV3(secured.url, { auth: { username: 'root', password: 's3cret-wrong' } });
    const none = etcdV3(secured.url);
    try {
      const set = await good.set('/auth/k', 'v');
      expect((await good.get('/auth/k')).value).toBe('v');
      expect((await good.wait('/auth/k', { index: set.etcdIndex })).value).toBe('v');
      const refused = await bad.get('/auth/k').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(Unauthorized);
      expect(refused).toMatchObject({ errorCode: 110, cause: 'Insufficient credentials' });
      expect(`${String(refused)} ${inspect(refused, { depth: 5 })}`).not.toContain('s3cret-wrong');
      expect(inspect(bad.adapter, { depth: 5 })).not.toContain('s3cret-wrong');
      await expect(none.get('/auth/k')).rejects.toBeInstanceOf(Unauthorized);
      // etcd forgets the token after its TTL and answers "invalid auth token": the adapter renews it.
      await new Promise((r) => setTimeout(r, 2_500));
      expect((await good.get('/auth/k')).value).toBe('v');
      expect((await good.set('/auth/k', 'w')).value).toBe('w');
    } finally {
      await Promise.all([good.close(), bad.close(), none.close()]);
    }
  });
});

describe('member discovery (etcd MemberList)', () => {
  it('sync() replaces the endpoints with the members etcd lists; the one in use stays', async () => {
    const gone = `http://127.0.0.1:${await freePort()}`;
    const adapter = new V3Adapter({ endpoints: [gone, url()] });
    try {
      expect(await adapter.sync()).toEqual([url()]);
      expect(adapter.endpoints).toEqual([url()]);
      expect(adapter.url).toBe(url());
      expect(adapter.clusterId).toMatch(/^[0-9a-f]+$/);
      // The adapter still works on the listed member.
      await adapter.set({ key: '/sync/k', value: 'v' });
    } finally {
      await adapter.close();
    }
  });

  it('syncInterval refreshes the list in the background', async () => {
    const gone = `http://127.0.0.1:${await freePort()}`;
    const adapter = new V3Adapter({ endpoints: [url(), gone], syncInterval: 50 });
    try {
      await until(async () => adapter.endpoints.length === 1);
      expect(adapter.endpoints).toEqual([url()]);
    } finally {
      await adapter.close();
    }
  });

  it('a wait pending on a member that sync() removes moves on and still sees the write', async () => {
    const proxy = await startProxy('127.0.0.1', Number(new URL(url()).port));
    // No pings: a wait left on the proxied member would hang once the proxy stalls.
    const client = etcdV3([proxy.url, url()], { keepAlive: Number.POSITIVE_INFINITY });
    const adapter = client.adapter as V3Adapter;
    try {
      const first = await client.set('/sync/moved', 'a');
      expect(client.url).toBe(proxy.url);
      const before = proxy.received;
      const pending = client.wait('/sync/moved', { index: first.etcdIndex + 1 });
      // The wait has left for the proxied member before the list changes (it must see the write
      // whether or not etcd has created its watch yet).
      await until(async () => proxy.received > before);
      expect(await adapter.sync()).toEqual([url()]);
      expect(client.url).toBe(url());
      // Nothing passes through the removed member any more: only a wait that moved on sees the write.
      proxy.stall();
      const second = await client.set('/sync/moved', 'b');
      expect(await pending).toMatchObject({ value: 'b', modifiedIndex: second.modifiedIndex });
      // The removed member takes no new call: everything goes to the listed one.
      expect((await client.get('/sync/moved')).value).toBe('b');
    } finally {
      await client.close();
      await proxy.close();
    }
  });
});

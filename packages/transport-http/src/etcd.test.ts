import { Created, Deleted, Got, KeyNotFound, Set as SetResult } from '@etc/protocol';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HttpAdapter } from './http-adapter.js';

// The root global setup (tooling/etcd) provides the URL of a running etcd. Its own declaration is
// seen only by packages that depend on the launcher, so the same one is repeated here (identical
// declarations merge).
declare module 'vitest' {
  export interface ProvidedContext {
    etcdUrl: string;
  }
}

const etcdUrl = inject('etcdUrl');

describe.skipIf(!etcdUrl)('against a real etcd', () => {
  let adapter: HttpAdapter;
  const base = `/etc-transport-http-test/${process.pid}-${Date.now()}`;

  beforeAll(() => {
    adapter = new HttpAdapter({ endpoints: etcdUrl, timeout: 10_000 });
  });
  afterAll(async () => {
    await adapter.delete({ key: base, dir: true, recursive: true }).catch(() => undefined);
    await adapter.close();
  });

  it('sets, gets and deletes a key', async () => {
    const key = `${base}/a b?c`;
    const set = await adapter.set({ key, value: 'hello wörld & more', ttl: 60 });
    expect(set).toBeInstanceOf(SetResult);
    expect(set.key).toBe(key);
    expect(set.ttl).toBe(60);

    const created = await adapter.set({ key: `${base}/new`, value: 'x', prevExist: false });
    expect(created).toBeInstanceOf(Created);

    const got = await adapter.get({ key });
    expect(got).toBeInstanceOf(Got);
    expect(got.value).toBe('hello wörld & more');
    expect(got.etcdIndex).toBeGreaterThanOrEqual(set.etcdIndex);

    const deleted = await adapter.delete({ key, prevValue: 'hello wörld & more' });
    expect(deleted).toBeInstanceOf(Deleted);
    await expect(adapter.get({ key })).rejects.toBeInstanceOf(KeyNotFound);
  });

  it('appends an in-order key', async () => {
    const appended = await adapter.append({ key: `${base}/queue`, value: 'job' });
    expect(appended).toBeInstanceOf(Created);
    expect(appended.key).toMatch(new RegExp(`^${base}/queue/\\d{20}$`));
  });

  it('receives a set through a wait', async () => {
    const key = `${base}/watched`;
    const waiting = adapter.get({ key, wait: true, timeout: 10_000 });
    // Give the wait a moment to reach etcd; if the set comes first, waitIndex-less waits miss it,
    // so the set is repeated until the wait has seen one.
    let settled = false;
    const done = (): void => {
      settled = true;
    };
    waiting.then(done, done);
    for (let i = 0; i < 50 && !settled; i++) {
      await adapter.set({ key, value: `v${i}` });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const event = await waiting;
    expect(event).toBeInstanceOf(SetResult);
    expect(event.key).toBe(key);
    expect(event.value).toMatch(/^v\d+$/);
  });

  it('waits from a waitIndex past the current index until the set comes', async () => {
    const key = `${base}/next`;
    const now = await adapter.set({ key, value: 'before' });
    const waiting = adapter.get({ key, wait: true, waitIndex: now.etcdIndex + 1, timeout: 10_000 });
    const set = await adapter.set({ key, value: 'after' });
    const event = await waiting;
    expect(event).toBeInstanceOf(SetResult);
    expect(event.value).toBe('after');
    expect(event.modifiedIndex).toBe(set.modifiedIndex);
  });

  it('receives a past event through a wait from a waitIndex', async () => {
    const key = `${base}/history`;
    const set = await adapter.set({ key, value: 'past' });
    const event = await adapter.get({ key, wait: true, waitIndex: set.modifiedIndex, timeout: 10_000 });
    expect(event).toBeInstanceOf(SetResult);
    expect(event.value).toBe('past');
    expect(event.modifiedIndex).toBe(set.modifiedIndex);
  });
});

import { ConnectionError } from '@etc/protocol';
import { describe, expect, it } from 'vitest';
import { MockStore } from './mock-store.js';
import { send } from './test-helpers.js';

/** A wait that must not be answered yet: races it against a settled marker. */
async function isPending(promise: Promise<unknown>): Promise<boolean> {
  const marker = Symbol('pending');
  return (await Promise.race([promise, Promise.resolve(marker)])) === marker;
}

describe('waits', () => {
  it('answers from history: first matching event at or after waitIndex, X-Etcd-Index = now', async () => {
    const store = new MockStore();
    await send(store, 'PUT', '/a', { value: '1' });
    await send(store, 'PUT', '/b', { value: '1' });
    await send(store, 'PUT', '/a', { value: '2' });
    const first = await send(store, 'GET', '/a', { wait: 'true', waitIndex: '1' });
    expect(first.status).toBe(200);
    expect(first.headers['x-etcd-index']).toBe('6');
    expect(first.json.node).toMatchObject({ value: '1', modifiedIndex: 4 });
    const later = await send(store, 'GET', '/a', { wait: 'true', waitIndex: '5' });
    expect(later.json.node).toMatchObject({ value: '2', modifiedIndex: 6 });
    const created = await send(store, 'GET', '/b', { wait: 'true', waitIndex: '5' });
    expect(created.status).toBe(200);
  });

  it('matches recursively, hidden keys included, and dir deletes by string prefix', async () => {
    const store = new MockStore();
    await send(store, 'PUT', '/s/_h', { value: '1' });
    expect(
      (await send(store, 'GET', '/s', { wait: 'true', waitIndex: '1', recursive: 'true' })).json.node?.key,
    ).toBe('/s/_h');
    expect(await isPending(send(store, 'GET', '/s', { wait: 'true', waitIndex: '1' }))).toBe(true);
    await send(store, 'DELETE', '/s', { recursive: 'true' });
    for (const key of ['/sx', '/s/_h/deeper', '/s']) {
      const answer = await send(store, 'GET', key, { wait: 'true', waitIndex: '1' });
      expect(answer.json).toMatchObject({
        action: 'delete',
        node: { key: '/s', dir: true, modifiedIndex: 5 },
      });
    }
  });

  it('skips refreshes in history and does not wake live waiters with them', async () => {
    const store = new MockStore();
    await send(store, 'PUT', '/r', { value: 'v', ttl: '100' });
    const live = send(store, 'GET', '/r', { wait: 'true' });
    await send(store, 'PUT', '/r', { refresh: 'true', ttl: '100' });
    expect(await isPending(live)).toBe(true);
    expect(await isPending(send(store, 'GET', '/r', { wait: 'true', waitIndex: '5' }))).toBe(true);
    await send(store, 'PUT', '/r', { value: 'w' });
    expect((await live).json.node).toMatchObject({ value: 'w', modifiedIndex: 6 });
    expect((await live).headers['x-etcd-index']).toBe('4');
    store.close();
  });

  it('live: a recursive watch skips hidden segments below it, a direct watch does not', async () => {
    const store = new MockStore();
    const recursive = send(store, 'GET', '/w', { wait: 'true', recursive: 'true' });
    const direct = send(store, 'GET', '/w/_h', { wait: 'true' });
    await send(store, 'PUT', '/w/_h', { value: 'hidden' });
    expect(await isPending(recursive)).toBe(true);
    expect((await direct).json.node).toMatchObject({ key: '/w/_h' });
    await send(store, 'PUT', '/w/x', { value: 'shown' });
    expect((await recursive).json.node).toMatchObject({ key: '/w/x' });
  });

  it('live: a dir delete reaches non-recursive watchers on every removed descendant', async () => {
    const store = new MockStore({ seed: { d: { x: { y: '1' } } } });
    const deep = send(store, 'GET', '/d/x/y', { wait: 'true' });
    const mid = send(store, 'GET', '/d/x', { wait: 'true' });
    const parent = send(store, 'GET', '/', { wait: 'true' });
    await send(store, 'DELETE', '/d', { recursive: 'true' });
    for (const answer of [await deep, await mid])
      expect(answer.json).toMatchObject({ action: 'delete', node: { key: '/d' } });
    expect(await isPending(parent)).toBe(true);
    store.close();
    await expect(parent).rejects.toBeInstanceOf(ConnectionError);
  });

  it('waitIndex 0 or absent means current + 1', async () => {
    const store = new MockStore();
    await send(store, 'PUT', '/a', { value: '1' });
    const zero = send(store, 'GET', '/a', { wait: 'true', waitIndex: '0' });
    expect(await isPending(zero)).toBe(true);
    await send(store, 'PUT', '/a', { value: '2' });
    expect((await zero).json.node).toMatchObject({ value: '2' });
  });

  it('keeps 1000 events and answers 401 for older ones', async () => {
    const store = new MockStore();
    for (let i = 0; i < 1149; i++) await send(store, 'PUT', `/k${i % 10}`, { value: String(i) });
    expect(store.index).toBe(1152);
    const ok = await send(store, 'GET', '/', { wait: 'true', waitIndex: '153', recursive: 'true' });
    expect(ok.json.node).toMatchObject({ modifiedIndex: 153 });
    const cleared = await send(store, 'GET', '/', { wait: 'true', waitIndex: '152', recursive: 'true' });
    expect(cleared.status).toBe(400);
    expect(cleared.body).toBe(
      '{"errorCode":401,"message":"The event in requested index is outdated and cleared","cause":"the requested history has been cleared [153/152]","index":1152}\n',
    );
  });

  it('finds each kept event by its index once the history has wrapped around', async () => {
    const store = new MockStore();
    for (let i = 0; i < 2500; i++) await send(store, 'PUT', `/k${i % 10}`, { value: String(i) });
    expect(store.index).toBe(2503);
    for (const index of [1504, 1505, 2000, 2502, 2503]) {
      const found = await send(store, 'GET', '/', {
        wait: 'true',
        waitIndex: String(index),
        recursive: 'true',
      });
      expect(found.json.node, String(index)).toMatchObject({
        modifiedIndex: index,
        value: String(index - 4),
      });
    }
    // The first event of /k3 at or after 1504: value 1503 is at index 1507.
    const k3 = await send(store, 'GET', '/k3', { wait: 'true', waitIndex: '1504' });
    expect(k3.json.node).toMatchObject({ key: '/k3', modifiedIndex: 1507, value: '1503' });
    const cleared = await send(store, 'GET', '/', { wait: 'true', waitIndex: '1503', recursive: 'true' });
    expect(cleared.json.cause).toBe('the requested history has been cleared [1504/1503]');
    store.close();
  });

  it('counts etcd’s own three writes in a fresh history', async () => {
    const store = new MockStore();
    expect(
      await isPending(send(store, 'GET', '/', { wait: 'true', waitIndex: '1', recursive: 'true' })),
    ).toBe(true);
    for (let i = 0; i < 1000; i++) await send(store, 'PUT', '/k', { value: String(i) });
    const cleared = await send(store, 'GET', '/k', { wait: 'true', waitIndex: '3' });
    expect(cleared.json.cause).toBe('the requested history has been cleared [4/3]');
    store.close();
  });

  it('removes an aborted waiter and rejects with the signal reason', async () => {
    const store = new MockStore();
    const controller = new AbortController();
    const wait = send(store, 'GET', '/a', { wait: 'true' }, controller.signal);
    expect(store.waiting).toBe(1);
    controller.abort(new Error('stop'));
    await expect(wait).rejects.toThrow('stop');
    expect(store.waiting).toBe(0);
    await expect(send(store, 'GET', '/a', {}, controller.signal)).rejects.toThrow('stop');
  });
});

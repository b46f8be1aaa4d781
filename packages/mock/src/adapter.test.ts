import {
  Client,
  ConnectionError,
  ConnectionRefused,
  Created,
  Directory,
  Expired,
  Got,
  KeyNotFound,
  NotFile,
  TestFailed,
  TimedOut,
  Value,
} from '@etc/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MockAdapter } from './mock-adapter.js';
import { mockEtcd } from './mock-etcd.js';
import { MockStore } from './mock-store.js';
import type { SeedTree } from './seed.js';

describe('MockAdapter', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('decodes results and errors through the protocol decoder', async () => {
    const adapter = new MockAdapter({ seed: { a: '1' } });
    expect(adapter.url).toBe(`mock://${adapter.store.clusterId}`);
    const got = await adapter.get({ key: '/a' });
    expect(got).toBeInstanceOf(Got);
    expect(got).toMatchObject({ value: '1', etcdIndex: 4, raftTerm: 2 });
    const created = await adapter.append({ key: '/q', value: 'x' });
    expect(created).toBeInstanceOf(Created);
    await expect(adapter.get({ key: '/missing' })).rejects.toBeInstanceOf(KeyNotFound);
    await expect(adapter.set({ key: '/a', value: '2', prevValue: 'no' })).rejects.toMatchObject({
      errorCode: 101,
      cause: '[no != 1]',
      index: 5,
    });
    await adapter.close();
  });

  it('times a wait out with TimedOut and removes its waiter', async () => {
    vi.useFakeTimers();
    const adapter = new MockAdapter();
    const wait = adapter.get({ key: '/a', wait: true, timeout: 1000 });
    const outcome = expect(wait).rejects.toBeInstanceOf(TimedOut);
    expect(adapter.store.waiting).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    await outcome;
    expect(adapter.store.waiting).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    await adapter.close();
  });

  it('clears the timeout timer of a call that is answered', async () => {
    vi.useFakeTimers();
    const adapter = new MockAdapter();
    await adapter.set({ key: '/a', value: '1', timeout: 5000 });
    expect(vi.getTimerCount()).toBe(0);
    await adapter.close();
  });

  it('rejects with the signal reason, also when already aborted, and nothing is written', async () => {
    const adapter = new MockAdapter();
    const aborted = AbortSignal.abort(new Error('before'));
    await expect(adapter.set({ key: '/a', value: '1', signal: aborted })).rejects.toThrow('before');
    expect(adapter.store.snapshot()).toEqual({});
    const controller = new AbortController();
    const wait = adapter.get({ key: '/a', wait: true, signal: controller.signal });
    controller.abort(new Error('during'));
    await expect(wait).rejects.toThrow('during');
    expect(adapter.store.waiting).toBe(0);
    await adapter.close();
  });

  it('close rejects its own waits only, is idempotent, and leaves a shared store open', async () => {
    const store = new MockStore();
    const a = new MockAdapter({ store });
    const b = new MockAdapter({ store });
    const waitA = a.get({ key: '/k', wait: true });
    const waitB = b.get({ key: '/k', wait: true });
    await a.close();
    await a.close();
    await expect(waitA).rejects.toBeInstanceOf(ConnectionError);
    expect(store.closed).toBe(false);
    await expect(a.get({ key: '/k' })).rejects.toBeInstanceOf(ConnectionError);
    await b.set({ key: '/k', value: 'v' });
    expect(await waitB).toMatchObject({ action: 'set', value: 'v' });
    store.close();
  });

  it('closes the store it made itself', async () => {
    const adapter = new MockAdapter();
    const wait = adapter.get({ key: '/k', wait: true });
    await adapter.close();
    await expect(wait).rejects.toBeInstanceOf(ConnectionError);
    expect(adapter.store.closed).toBe(true);
  });
});

describe('mockEtcd', () => {
  it('gives a Client over a fresh store that close() closes', async () => {
    vi.useFakeTimers();
    const client = mockEtcd({ seed: { config: { a: '1' } } });
    expect(client).toBeInstanceOf(Client);
    const adapter = client.adapter as MockAdapter;
    const dir = await client.get('/config');
    expect(dir.node).toBeInstanceOf(Directory);
    await client.set('/lease', 'x', { ttl: 1 });
    const expiry = client.wait('/lease');
    await vi.advanceTimersByTimeAsync(1000);
    expect(await expiry).toBeInstanceOf(Expired);
    await client.set('/lease', 'y', { ttl: 30 });
    await client.close();
    expect(adapter.store.closed).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
  });

  it('lets clients share one store like one cluster', async () => {
    const store = new MockStore();
    const a = mockEtcd({ store });
    const b = mockEtcd({ store });
    await a.set('/x', '1');
    expect((await b.get('/x')).value).toBe('1');
    await expect(b.update('/x', '2', { prevValue: 'nope' })).rejects.toBeInstanceOf(TestFailed);
    await a.close();
    expect((await b.get('/x')).value).toBe('1');
    await b.close();
    expect(store.closed).toBe(false);
    store.close();
  });
});

describe('seed, snapshot, reset', () => {
  it('seeds like sets, snapshots everything, resets to a fresh etcd', async () => {
    const store = new MockStore({ seed: { config: { a: '1', b: { c: '2' } }, flag: 'x', _hidden: 'h' } });
    expect(store.index).toBe(9);
    expect(store.snapshot()).toEqual({ config: { a: '1', b: { c: '2' } }, flag: 'x', _hidden: 'h' });
    store.seed({ config: { d: '3' } });
    expect(store.index).toBe(10);
    expect(store.snapshot().config).toEqual({ a: '1', b: { c: '2' }, d: '3' });
    const adapter = new MockAdapter({ store });
    const wait = adapter.get({ key: '/nothing', wait: true });
    store.reset();
    await expect(wait).rejects.toBeInstanceOf(ConnectionError);
    expect(store.index).toBe(3);
    expect(store.snapshot()).toEqual({});
    expect(await adapter.get({ key: '/' })).toMatchObject({ etcdIndex: 3, raftIndex: 4 });
    store.close();
  });

  it('rejects seeds that are not a tree of strings, and seeds into a closed store', () => {
    const store = new MockStore();
    expect(() => store.seed({ a: 1 as unknown as string })).toThrow(TypeError);
    expect(() => store.seed({ '..': 'x' })).toThrow(TypeError);
    expect(() => store.seed({ 'a/b': 'x' })).toThrow(TypeError);
    expect(() => store.seed({ '': 'x' })).toThrow(TypeError);
    expect(() => store.seed([] as unknown as SeedTree)).toThrow(TypeError);
    expect(store.snapshot()).toEqual({});
    store.close();
    expect(() => store.seed({ a: 'x' })).toThrow(ConnectionRefused);
  });

  it('rejects a value where a directory is with NotFile, as a set on etcd does', () => {
    const store = new MockStore({ seed: { d: { x: '1' } } });
    const index = store.index;
    let error: unknown;
    try {
      store.seed({ d: 'file' });
    } catch (e) {
      error = e;
    }
    expect(error?.constructor).toBe(NotFile);
    expect((error as NotFile).cause).toBe('/d');
    expect(store.index).toBe(index);
    expect(store.snapshot()).toEqual({ d: { x: '1' } });
    store.close();
  });

  it('replaces a file with a directory, as PUT dir=true does on etcd', async () => {
    const store = new MockStore({ seed: { f: 'file' } });
    const adapter = new MockAdapter({ store });
    const before = store.index;
    const wait = adapter.get({ key: '/f', wait: true });
    store.seed({ f: { g: '1' } });
    expect(store.snapshot()).toEqual({ f: { g: '1' } });
    expect(store.index).toBe(before + 2);
    const replaced = await wait;
    expect(replaced.action).toBe('set');
    expect(replaced.node.dir).toBe(true);
    expect(replaced.prevNode?.constructor).toBe(Value);
    store.close();
  });
});

import { Expired, Got, KeyNotFound } from '@etc/protocol';
import { failure } from '@etc/vitest-config/test-support';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MockAdapter } from './mock-adapter.js';
import { mockEtcd } from './mock-etcd.js';
import { MockStore } from './mock-store.js';
import { send } from './test-helpers.js';
import { formatExpiration } from './wire-json.js';

const t0 = Date.UTC(2026, 10, 27, 4, 49, 50, 370);

describe('TTLs and expiry', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: t0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('formats expiration as UTC RFC3339Nano with zeros trimmed', () => {
    expect(formatExpiration(t0)).toBe('2026-11-27T04:49:50.37Z');
    expect(formatExpiration(Date.UTC(2026, 0, 1))).toBe('2026-01-01T00:00:00Z');
    expect(formatExpiration(Date.UTC(2026, 0, 1, 0, 0, 0, 5))).toBe('2026-01-01T00:00:00.005Z');
  });

  it('rounds ttl up on every read', async () => {
    const store = new MockStore();
    const set = await send(store, 'PUT', '/foo', { value: 'bar', ttl: '5' });
    expect(set.json.node).toEqual({
      key: '/foo',
      value: 'bar',
      expiration: '2026-11-27T04:49:55.37Z',
      ttl: 5,
      modifiedIndex: 4,
      createdIndex: 4,
    });
    vi.setSystemTime(t0 + 1300);
    expect((await send(store, 'GET', '/foo')).json.node?.ttl).toBe(4);
    vi.setSystemTime(t0 + 4999);
    expect((await send(store, 'GET', '/foo')).json.node?.ttl).toBe(1);
    store.close();
  });

  it('expires a node at exactly its expiration, one expire event and index', async () => {
    const store = new MockStore();
    await send(store, 'PUT', '/foo', { value: 'bar', ttl: '2' });
    vi.setSystemTime(t0 + 1999);
    expect((await send(store, 'GET', '/foo')).status).toBe(200);
    vi.setSystemTime(t0 + 2000);
    const gone = await send(store, 'GET', '/foo');
    expect(gone.json).toEqual({ errorCode: 100, message: 'Key not found', cause: '/foo', index: 5 });
    const event = await send(store, 'GET', '/foo', { wait: 'true', waitIndex: '5' });
    expect(event.json).toEqual({
      action: 'expire',
      node: { key: '/foo', modifiedIndex: 5, createdIndex: 4 },
      prevNode: {
        key: '/foo',
        value: 'bar',
        expiration: '2026-11-27T04:49:52.37Z',
        modifiedIndex: 4,
        createdIndex: 4,
      },
    });
  });

  it('expires in expiration order; ttl=0 expires before the next request', async () => {
    const store = new MockStore();
    await send(store, 'PUT', '/late', { value: '1', ttl: '3' });
    await send(store, 'PUT', '/early', { value: '1', ttl: '1' });
    const zero = await send(store, 'PUT', '/zero', { value: '1', ttl: '0' });
    expect(zero.json.node).toEqual({
      key: '/zero',
      value: '1',
      expiration: '2026-11-27T04:49:50.37Z',
      modifiedIndex: 6,
      createdIndex: 6,
    });
    vi.setSystemTime(t0 + 5000);
    expect(store.index).toBe(9);
    const events = [];
    for (const i of [7, 8, 9])
      events.push(
        (await send(store, 'GET', '/', { wait: 'true', waitIndex: String(i), recursive: 'true' })).json.node
          ?.key,
      );
    expect(events).toEqual(['/zero', '/early', '/late']);
  });

  it('expires a directory with its subtree as one event, and wakes watchers below it on time', async () => {
    const store = new MockStore({ seed: { d: { x: { y: '1' } } } });
    await send(store, 'PUT', '/d', { dir: 'true', ttl: '2', prevExist: 'true' });
    const below = store.handle({
      method: 'GET',
      key: '/d/x/y',
      path: '/v2/keys/d/x/y',
      params: [['wait', 'true']],
      wait: true,
    });
    await vi.advanceTimersByTimeAsync(2000);
    const answer = await below;
    expect(answer.headers['x-etcd-index']).toBe('7');
    expect(JSON.parse(answer.body)).toEqual({
      action: 'expire',
      node: { key: '/d', dir: true, modifiedIndex: 8, createdIndex: 4 },
      prevNode: {
        key: '/d',
        dir: true,
        expiration: '2026-11-27T04:49:52.37Z',
        modifiedIndex: 4,
        createdIndex: 4,
      },
    });
    expect(store.snapshot()).toEqual({});
    expect(vi.getTimerCount()).toBe(0);
  });

  it('updates and removes a dir TTL, showing the new modifiedIndex but keeping the old one', async () => {
    const store = new MockStore();
    await send(store, 'PUT', '/d', { dir: 'true', ttl: '100' });
    const update = await send(store, 'PUT', '/d', { dir: 'true', ttl: '200', prevExist: 'true' });
    expect(update.json.node).toMatchObject({ dir: true, ttl: 200, modifiedIndex: 5, createdIndex: 4 });
    expect((await send(store, 'GET', '/d')).json.node).toMatchObject({ ttl: 200, modifiedIndex: 4 });
    const permanent = await send(store, 'PUT', '/d', { dir: 'true', ttl: '', prevExist: 'true' });
    expect(permanent.json.node).toEqual({ key: '/d', dir: true, modifiedIndex: 6, createdIndex: 4 });
    expect(vi.getTimerCount()).toBe(0);
    expect((await send(store, 'PUT', '/d', { value: 'x', prevExist: 'true' })).json).toMatchObject({
      errorCode: 102,
      cause: '/d',
    });
  });

  it('refresh takes an index, keeps the value, resets createdIndex without prevExist', async () => {
    const store = new MockStore();
    await send(store, 'PUT', '/r', { value: 'v', ttl: '50' });
    const set = await send(store, 'PUT', '/r', { refresh: 'true', ttl: '60' });
    expect(set.status).toBe(200);
    expect(set.json).toMatchObject({
      action: 'set',
      node: { value: 'v', ttl: 60, modifiedIndex: 5, createdIndex: 5 },
    });
    const update = await send(store, 'PUT', '/r', { refresh: 'true', ttl: '70', prevExist: 'true' });
    expect(update.json).toMatchObject({
      action: 'update',
      node: { value: 'v', ttl: 70, modifiedIndex: 6, createdIndex: 5 },
    });
    const cas = await send(store, 'PUT', '/r', { refresh: 'true', ttl: '80', prevValue: 'v' });
    expect(cas.json).toMatchObject({
      action: 'compareAndSwap',
      node: { value: 'v', ttl: 80, modifiedIndex: 7 },
    });
    expect((await send(store, 'PUT', '/none', { refresh: 'true', ttl: '5' })).json).toMatchObject({
      errorCode: 100,
    });
    store.close();
  });

  it('keeps one timer for the earliest expiry and none once nothing has a TTL or the store closes', async () => {
    const store = new MockStore();
    expect(vi.getTimerCount()).toBe(0);
    await send(store, 'PUT', '/a', { value: '1', ttl: '10' });
    await send(store, 'PUT', '/b', { value: '1', ttl: '5' });
    expect(vi.getTimerCount()).toBe(1);
    await send(store, 'PUT', '/b', { value: '1' });
    await send(store, 'DELETE', '/a');
    expect(vi.getTimerCount()).toBe(0);
    await send(store, 'PUT', '/c', { value: '1', ttl: '10' });
    expect(vi.getTimerCount()).toBe(1);
    store.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('re-arms a timer for an expiry beyond setTimeout range', async () => {
    const store = new MockStore();
    await send(store, 'PUT', '/far', { value: '1', ttl: String(40 * 24 * 3600) });
    await vi.advanceTimersByTimeAsync(2 ** 31);
    expect(store.snapshot()).toEqual({ far: '1' });
    await vi.advanceTimersByTimeAsync(40 * 24 * 3600 * 1000);
    expect(store.snapshot()).toEqual({});
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('late expiry (pauseExpiry), as a paused etcd answers', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers reads and writes of an overdue key with a negative ttl, then expires it late', async () => {
    vi.useFakeTimers({ now: t0 });
    const client = mockEtcd();
    const store = (client.adapter as MockAdapter).store;
    const written = await client.set('/late', 'v', { ttl: 1 });
    await client.set('/late-set', 'old', { ttl: 1 });
    const wait = client.wait('/late', { index: (written.index as number) + 1 });
    store.pauseExpiry();
    expect(store.expiryPaused).toBe(true);
    vi.advanceTimersByTime(2600);

    const got = await client.get('/late');
    expect(got.constructor).toBe(Got);
    expect(got.ttl).toBe(-1);
    expect(got.expiration?.getTime()).toBe(t0 + 1000);
    const replaced = await client.set('/late-set', 'new');
    expect(replaced.prevNode?.ttl).toBe(-1);
    vi.advanceTimersByTime(1000);
    expect((await client.get('/late')).ttl).toBe(-2);

    store.resumeExpiry();
    expect(store.expiryPaused).toBe(false);
    const expired = await wait;
    expect(expired.constructor).toBe(Expired);
    expect(expired.prevNode?.ttl).toBe(-2);
    expect(await failure(client.get('/late'))).toBeInstanceOf(KeyNotFound);
    await client.close();
  });

  it('answers exactly as etcd does on the wire', async () => {
    vi.useFakeTimers({ now: t0 });
    const store = new MockStore();
    await send(store, 'PUT', '/neg', { value: 'v', ttl: '1' });
    store.pauseExpiry();
    vi.advanceTimersByTime(500);
    // Less than a second overdue: etcd's ttl rounds to 0 and is omitted.
    vi.setSystemTime(t0 + 1500);
    expect((await send(store, 'GET', '/neg')).body).toBe(
      '{"action":"get","node":{"key":"/neg","value":"v","expiration":"2026-11-27T04:49:51.37Z","modifiedIndex":4,"createdIndex":4}}\n',
    );
    vi.setSystemTime(t0 + 2600);
    expect((await send(store, 'GET', '/neg')).body).toBe(
      '{"action":"get","node":{"key":"/neg","value":"v","expiration":"2026-11-27T04:49:51.37Z","ttl":-1,"modifiedIndex":4,"createdIndex":4}}\n',
    );
    store.resumeExpiry();
    expect((await send(store, 'GET', '/neg', { wait: 'true', waitIndex: '5' })).body).toBe(
      '{"action":"expire","node":{"key":"/neg","modifiedIndex":5,"createdIndex":4},"prevNode":{"key":"/neg","value":"v","expiration":"2026-11-27T04:49:51.37Z","ttl":-1,"modifiedIndex":4,"createdIndex":4}}\n',
    );
    store.close();
  });

  it('sweeps on time again after resumeExpiry (the timer is re-armed)', async () => {
    vi.useFakeTimers({ now: t0 });
    const store = new MockStore();
    store.pauseExpiry();
    store.resumeExpiry();
    await send(store, 'PUT', '/k', { value: 'v', ttl: '1' });
    vi.advanceTimersByTime(1000);
    expect(store.index).toBe(5);
    const expired = await send(store, 'GET', '/k', { wait: 'true', waitIndex: '5' });
    expect(expired.json.action).toBe('expire');
    expect(expired.json.prevNode?.ttl).toBeUndefined();
    store.close();
  });
});

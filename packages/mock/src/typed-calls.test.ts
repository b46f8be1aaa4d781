/**
 * `store.call(operation, typedRequest)` (the fast path `MockAdapter` uses) must answer exactly as
 * `store.handle(encodeX(typedRequest))` (the wire path the conformance and differential tests
 * check against a real etcd): same status, headers, and a JSON value equal to the parsed body.
 */
import {
  type AppendRequest,
  type DeleteRequest,
  encodeAppend,
  encodeDelete,
  encodeGet,
  encodeSet,
  type GetRequest,
  type SetRequest,
} from '@etc/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MockStore } from './mock-store.js';

type Step = ['get', GetRequest] | ['set', SetRequest] | ['append', AppendRequest] | ['delete', DeleteRequest];

const odd = <T>(value: unknown) => value as T;

const steps: Step[] = [
  ['set', { key: '/a', value: 'one' }],
  ['set', { key: '/a', value: 'two', prevValue: 'one' }],
  ['set', { key: '/a', value: 'three', prevValue: 'nope' }],
  ['set', { key: '/a', value: 'x', prevValue: '' }],
  ['set', { key: '/a', value: 'four', prevIndex: 5 }],
  ['set', { key: '/a', value: 'x', prevIndex: 0 }],
  ['set', { key: '/a', value: 'x', prevIndex: -1 }],
  ['set', { key: '/a', value: 'x', prevIndex: 1.5 }],
  ['set', { key: '/a', value: 'x', ttl: -1 }],
  ['set', { key: '/a', value: 'x', ttl: 2.5 }],
  ['set', { key: '/t', value: 'ttl', ttl: 100 }],
  ['set', { key: '/t', ttl: 50, refresh: true }],
  ['set', { key: '/t', value: 'v', ttl: 50, refresh: true }],
  ['set', { key: '/t', refresh: true }],
  ['set', { key: '/n', value: odd<string>(42) }],
  ['set', { key: '/new', value: 'c', prevExist: false }],
  ['set', { key: '/new', value: 'c', prevExist: false }],
  ['set', { key: '/new', value: 'u', prevExist: true }],
  ['set', { key: '/missing', value: 'u', prevExist: true }],
  ['set', { key: '/new', value: 'u', prevExist: odd<boolean>('yes') }],
  ['set', { key: '/d', dir: true }],
  ['set', { key: '/d', dir: true, value: 'ignored' }],
  ['set', { key: '/d/f', value: 'in dir' }],
  ['set', { key: '/d', value: 'over a dir' }],
  ['set', { key: '/a/b', value: 'below a file' }],
  ['set', { key: '/', value: 'root' }],
  ['set', { key: 'un/normal/', value: 'normalised' }],
  ['append', { key: '/q', value: 'first' }],
  ['append', { key: '/q', dir: true, ttl: 5 }],
  ['append', { key: '/a', value: 'in a file' }],
  ['get', { key: '/a' }],
  ['get', { key: '/nope' }],
  ['get', { key: '/d', recursive: true, sorted: true }],
  ['get', { key: '/', sorted: true }],
  ['get', { key: '/a', quorum: true }],
  ['get', { key: '/a', wait: true, waitIndex: 4 }],
  ['get', { key: '/a', wait: true, waitIndex: 1 }],
  ['get', { key: '/', wait: true, recursive: true, waitIndex: 5 }],
  ['get', { key: '/a', wait: true, waitIndex: odd<number>(-3) }],
  ['delete', { key: '/a', prevValue: 'nope' }],
  ['delete', { key: '/a', prevIndex: 1 }],
  ['delete', { key: '/a', prevValue: '' }],
  ['delete', { key: '/d' }],
  ['delete', { key: '/d', dir: true }],
  ['delete', { key: '/d', recursive: true }],
  ['delete', { key: '/a', prevValue: 'two' }],
  ['delete', { key: '/' }],
  ['delete', { key: '/gone' }],
];

function encode([operation, request]: Step) {
  switch (operation) {
    case 'get':
      return encodeGet(request);
    case 'set':
      return encodeSet(request);
    case 'append':
      return encodeAppend(request);
    default:
      return encodeDelete(request);
  }
}

describe('store.call: the typed fast path', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers every request exactly as the wire path does', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 11, 1, 22, 0, 0, 123) });
    const typed = new MockStore({ clusterId: '0123456789abcdef' });
    const wire = new MockStore({ clusterId: '0123456789abcdef' });
    const object = new MockStore({ clusterId: '0123456789abcdef' });
    for (const step of steps) {
      const label = JSON.stringify(step);
      const [operation, request] = step;
      const fast = await typed.call(operation as 'get', request as GetRequest);
      const slow = await wire.handle(encode(step));
      const answered = await object.answer(encode(step));
      expect(fast.status, label).toBe(slow.status);
      expect(fast.headers, label).toEqual(slow.headers);
      expect(fast.json, label).toEqual(JSON.parse(slow.body));
      expect(answered, label).toEqual(fast);
      vi.advanceTimersByTime(700);
    }
    expect(typed.snapshot()).toEqual(wire.snapshot());
    expect(object.snapshot()).toEqual(wire.snapshot());
    typed.close();
    wire.close();
    object.close();
  });

  it('rejects a key that is not a key, as the wire path does', async () => {
    const store = new MockStore();
    await expect(store.call('get', { key: '/a/../b' })).rejects.toThrow(TypeError);
    await expect(store.handle({ ...encodeGet({ key: '/a' }), key: '/a/../b' })).rejects.toThrow(TypeError);
    store.close();
  });
});

import { describe, expect, it } from 'vitest';
import { MockStore } from './mock-store.js';
import { expirationOf, parseGoBool, parseGoUint } from './params.js';
import { send } from './test-helpers.js';

describe('parameter parsing as v2http does it', () => {
  it('accepts exactly Go ParseBool and ParseUint', () => {
    for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True']) expect(parseGoBool(t)).toBe(true);
    for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False']) expect(parseGoBool(f)).toBe(false);
    for (const bad of ['yes', 'tRUE', '', ' true']) expect(parseGoBool(bad)).toBeUndefined();
    expect(parseGoUint('007')).toBe(7n);
    expect(parseGoUint('18446744073709551615')).toBe(18446744073709551615n);
    for (const bad of ['-1', '1.5', '+1', '', '1_0', '18446744073709551616'])
      expect(parseGoUint(bad)).toBeUndefined();
  });

  it.each([
    ['PUT', { prevIndex: 'x' }, 203, 'invalid value for "prevIndex"'],
    ['GET', { waitIndex: '-1', wait: 'true' }, 203, 'invalid value for "waitIndex"'],
    ['GET', { recursive: 'yes' }, 209, 'invalid value for "recursive"'],
    ['PUT', { wait: 'true' }, 209, '"wait" can only be used with GET requests'],
    ['PUT', { prevValue: '' }, 201, '"prevValue" cannot be empty'],
    ['PUT', { ttl: '-1' }, 202, 'invalid value for "ttl"'],
    ['PUT', { ttl: '1.5' }, 202, 'invalid value for "ttl"'],
    ['PUT', { prevExist: 'maybe' }, 209, 'invalid value for prevExist'],
    ['PUT', { refresh: 'maybe' }, 209, 'invalid value for refresh'],
    ['PUT', { refresh: 'true', value: 'x', ttl: '5' }, 211, 'A value was provided on a refresh'],
    ['PUT', { refresh: 'true' }, 212, 'No TTL value set'],
    ['PUT', { refresh: 'true', ttl: '' }, 212, 'No TTL value set'],
  ] as const)('%s %j gives %i', async (method, params, code, cause) => {
    const store = new MockStore();
    const answer = await send(store, method, '/k', params);
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ errorCode: code, cause, index: 0 });
    expect(answer.headers['x-etcd-index']).toBe('0');
    expect(answer.headers['x-raft-index']).toBeUndefined();
  });

  it('takes the first value of a repeated parameter; ttl= means no TTL', async () => {
    const store = new MockStore();
    const first = await send(store, 'PUT', '/k', [
      ['value', 'a'],
      ['value', 'b'],
      ['ttl', ''],
      ['ttl', '5'],
    ]);
    expect(first.json.node).toEqual({ key: '/k', value: 'a', modifiedIndex: 4, createdIndex: 4 });
    const refresh = await send(store, 'PUT', '/k', { refresh: 'true', value: '', ttl: '9' });
    expect(refresh.json.node).toMatchObject({ value: 'a', ttl: 9 });
  });

  it('computes expirations with Go int64 nanoseconds; before 2000 means permanent', () => {
    expect(expirationOf(undefined, 1_000)).toBeUndefined();
    expect(expirationOf(5n, 1_700_000_000_000)).toBe(1_700_000_005_000);
    expect(expirationOf(0n, 1_700_000_000_000)).toBe(1_700_000_000_000);
    expect(expirationOf(18446744073709551615n, 1_700_000_000_000)).toBe(1_699_999_999_000);
    expect(expirationOf(9_300_000_000n, 1_700_000_000_000)).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { encodeAppend, encodeDelete, encodeGet, encodeSet, formEncode } from './encode.js';

describe('encoders', () => {
  it('encodes reads and waits as GET query parameters', () => {
    expect(encodeGet({ key: '/a b', recursive: true, sorted: true, quorum: false })).toEqual({
      method: 'GET',
      key: '/a b',
      path: '/v2/keys/a%20b',
      params: [
        ['recursive', 'true'],
        ['sorted', 'true'],
      ],
      wait: false,
    });
    const wait = encodeGet({ key: '/k', wait: true, waitIndex: 7 });
    expect(wait.params).toEqual([
      ['wait', 'true'],
      ['waitIndex', '7'],
    ]);
    expect(wait.wait).toBe(true);
    expect(encodeGet({ key: '/k', waitIndex: 7 }).params).toEqual([]);
  });

  it('encodes writes with every option, leaving the value out of a dir', () => {
    expect(
      encodeSet({ key: '/k', value: 'v', ttl: 0, prevValue: '', prevIndex: 3, prevExist: false }).params,
    ).toEqual([
      ['value', 'v'],
      ['ttl', '0'],
      ['prevValue', ''],
      ['prevIndex', '3'],
      ['prevExist', 'false'],
    ]);
    expect(encodeSet({ key: '/k', value: 'ignored', dir: true }).params).toEqual([['dir', 'true']]);
    expect(encodeSet({ key: '/k', refresh: true, ttl: 5 }).params).toEqual([
      ['ttl', '5'],
      ['refresh', 'true'],
    ]);
    expect(encodeAppend({ key: '/q', value: 'job', ttl: 9 })).toMatchObject({
      method: 'POST',
      path: '/v2/keys/q',
    });
    expect(encodeDelete({ key: '/d', recursive: true, prevIndex: 4 })).toMatchObject({
      method: 'DELETE',
      params: [
        ['recursive', 'true'],
        ['prevIndex', '4'],
      ],
    });
  });

  it('form-encodes reserved characters', () => {
    expect(formEncode([['value', 'a b&c=d+é']])).toBe('value=a+b%26c%3Dd%2B%C3%A9');
  });
});

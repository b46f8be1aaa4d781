import { describe, expect, it } from 'vitest';
import { DEFAULT_ENDPOINT, parseEndpoints } from './endpoints.js';
import { HttpAdapter } from './http-adapter.js';
import type { HttpAdapterOptions } from './options.js';

describe('parseEndpoints', () => {
  it('defaults to etcd on 127.0.0.1:2379', () => {
    expect(parseEndpoints()).toEqual([DEFAULT_ENDPOINT]);
    expect(DEFAULT_ENDPOINT).toBe('http://127.0.0.1:2379');
  });

  it('strips a trailing slash and keeps scheme, host and port', () => {
    expect(parseEndpoints('http://10.0.0.1:2379/')).toEqual(['http://10.0.0.1:2379']);
    expect(parseEndpoints('https://etcd.example:2379')).toEqual(['https://etcd.example:2379']);
    expect(parseEndpoints('http://[::1]:2379')).toEqual(['http://[::1]:2379']);
  });

  it('splits a comma-separated list and accepts arrays, dropping duplicates', () => {
    expect(parseEndpoints('http://a:2379, http://b:2379/')).toEqual(['http://a:2379', 'http://b:2379']);
    expect(parseEndpoints(['http://a:2379', 'http://b:2379,http://c:2379', 'http://a:2379/'])).toEqual([
      'http://a:2379',
      'http://b:2379',
      'http://c:2379',
    ]);
  });

  it.each([
    ['', /empty/],
    ['http://a:2379,', /empty/],
    ['127.0.0.1:2379', /must start with http:\/\/ or https:\/\//],
    ['localhost:2379', /must start with http:\/\/ or https:\/\//],
    ['http://a b:2379', /not a URL/],
    ['ftp://a:2379', /http: or https:/],
    ['http://a:2379/v2/keys', /no path, query or fragment/],
    ['http://a:2379/?x=1', /no path, query or fragment/],
    ['http://a:2379?', /no path, query or fragment/],
    ['http://a:2379/#top', /no path, query or fragment/],
    ['http://u:p@a:2379', /credentials/],
  ])('rejects %j with a TypeError', (input, message) => {
    expect(() => parseEndpoints(input)).toThrow(TypeError);
    expect(() => parseEndpoints(input)).toThrow(message);
  });

  it('rejects an empty array and non-strings', () => {
    expect(() => parseEndpoints([])).toThrow(/at least one/);
    expect(() => parseEndpoints([42 as unknown as string])).toThrow(/must be a string, got number 42/);
    expect(() => parseEndpoints({} as unknown as string)).toThrow(TypeError);
  });
});

describe('HttpAdapter options', () => {
  it('uses the default endpoint and exposes url and endpoints', async () => {
    const adapter = new HttpAdapter();
    expect(adapter.url).toBe('http://127.0.0.1:2379');
    expect(adapter.endpoints).toEqual(['http://127.0.0.1:2379']);
    await adapter.close();
  });

  it('keeps every endpoint, the first one as url', async () => {
    const adapter = new HttpAdapter({ endpoints: 'http://a:2379,http://b:2379' });
    expect(adapter.url).toBe('http://a:2379');
    expect(adapter.endpoints).toEqual(['http://a:2379', 'http://b:2379']);
    await adapter.close();
  });

  it.each<[string, unknown, RegExp]>([
    ['a bad URL', { endpoints: 'http://a:2379/path' }, /no path/],
    ['a zero timeout', { timeout: 0 }, /timeout must be a positive number/],
    ['a negative timeout', { timeout: -5 }, /timeout must be a positive number/],
    ['a NaN timeout', { timeout: Number.NaN }, /timeout must be a positive number/],
    ['a string timeout', { timeout: '100' }, /timeout must be a positive number.*string/],
    ['zero connections', { connections: 0 }, /connections must be a positive integer/],
    ['fractional connections', { connections: 1.5 }, /connections must be a positive integer/],
    ['auth without strings', { auth: { username: 'u', password: 1 } }, /auth.password must be a string/],
    ['auth without a username', { auth: { password: 'p' } }, /auth.username must be a string/],
    ['a colon in the username', { auth: { username: 'a:b', password: 'p' } }, /must not contain ":"/],
    ['auth that is not an object', { auth: 'u:p' }, /auth must be an object/],
    ['tls that is not an object', { tls: true }, /tls must be an object/],
    ['a bad tls.ca', { tls: { ca: 42 } }, /tls.ca must be/],
    ['a bad tls.rejectUnauthorized', { tls: { rejectUnauthorized: 'no' } }, /rejectUnauthorized/],
    ['a zero attemptTimeout', { attemptTimeout: 0 }, /attemptTimeout must be a positive number/],
    ['a string attemptTimeout', { attemptTimeout: '5' }, /attemptTimeout must be a positive number/],
    ['an infinite syncInterval', { syncInterval: Number.POSITIVE_INFINITY }, /syncInterval must be/],
    ['a negative syncInterval', { syncInterval: -1 }, /syncInterval must be/],
    ['options that are not an object', 'http://a:2379', /options must be an object/],
  ])('rejects %s with a TypeError', (_what, options, message) => {
    const build = () => new HttpAdapter(options as HttpAdapterOptions);
    expect(build).toThrow(TypeError);
    expect(build).toThrow(message);
  });

  it('accepts Infinity as "no default timeout" and a positive connection count', async () => {
    const adapter = new HttpAdapter({
      timeout: Number.POSITIVE_INFINITY,
      connections: 4,
      attemptTimeout: 1_000,
      syncInterval: 60_000,
    });
    expect(adapter.url).toBe('http://127.0.0.1:2379');
    await adapter.close();
  });
});

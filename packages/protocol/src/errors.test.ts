import { describe, expect, it } from 'vitest';
import {
  ClusterMismatch,
  ConnectionError,
  ConnectionRefused,
  EtcdError,
  EtcException,
  etcdErrorFor,
  etcdErrorMessages,
  HTTPError,
  InvalidResponse,
  KeyNotFound,
  NodeExist,
  OutcomeUnknown,
  TimedOut,
} from './errors.js';
import * as all from './index.js';

describe('error classes', () => {
  it('has one class per etcd code, named as in the original, with name and code set', () => {
    const codes = Object.keys(etcdErrorMessages).map(Number);
    expect(codes).toHaveLength(31);
    for (const errorCode of codes) {
      const error = etcdErrorFor({ errorCode, index: 1 });
      expect(error.constructor).not.toBe(EtcdError);
      expect(error.errorCode).toBe(errorCode);
      expect(error.message).toBe(etcdErrorMessages[errorCode]);
      expect((all as Record<string, unknown>)[error.name]).toBe(error.constructor);
      expect(error.code).toBe(`ETC_ETCD_${errorCode}`);
    }
  });

  it('keeps instanceof working for a copy of the class from another install', () => {
    const error = new KeyNotFound({ errorCode: 100, cause: '/a', index: 3 });
    // A second copy of the package defines its own classes; the brand still matches by name.
    class KeyNotFoundCopy extends EtcdError {
      static override readonly brand = 'KeyNotFound';
    }
    expect(error).toBeInstanceOf(KeyNotFoundCopy);
    expect(error).not.toBeInstanceOf(NodeExist);
    expect({}).not.toBeInstanceOf(EtcException);
    expect(new Error('x')).not.toBeInstanceOf(EtcException);
  });

  it('builds the transport errors with their hierarchy', () => {
    const refused = new ConnectionRefused('refused', { endpoint: 'http://127.0.0.1:1' });
    expect(refused).toBeInstanceOf(ConnectionError);
    expect(refused.endpoint).toBe('http://127.0.0.1:1');
    expect(refused.name).toBe('ConnectionRefused');
    const timedOut = new TimedOut('slow', { timeout: 50 });
    expect(timedOut).toBeInstanceOf(ConnectionError);
    expect(timedOut.timeout).toBe(50);
    expect(timedOut.code).toBe('ETC_TIMED_OUT');
    expect(new OutcomeUnknown('maybe')).toBeInstanceOf(ConnectionError);
    const invalid = new InvalidResponse(200, 'bad', 'x'.repeat(1000));
    expect(invalid).toBeInstanceOf(HTTPError);
    expect(invalid.body).toHaveLength(200);
    expect(String(new HTTPError(502, 'HTTP 502 Bad Gateway'))).toBe('HTTPError: HTTP 502 Bad Gateway');
  });

  it('builds ClusterMismatch with both ids and the member, outside ConnectionError', () => {
    const error = new ClusterMismatch('cdf818194e3a8c32', '7e27652122e8b2ae', 'http://127.0.0.1:2');
    expect(error).toBeInstanceOf(EtcException);
    expect(error).not.toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({
      name: 'ClusterMismatch',
      code: 'ETC_CLUSTER_MISMATCH',
      expected: 'cdf818194e3a8c32',
      actual: '7e27652122e8b2ae',
      endpoint: 'http://127.0.0.1:2',
    });
    expect(error.message).toMatch(/7e27652122e8b2ae.*cdf818194e3a8c32/);
    expect((all as Record<string, unknown>).ClusterMismatch).toBe(ClusterMismatch);
  });
});

describe('util.inspect of an error', () => {
  it('reads like String(error) on its first line, with the stack and own fields after it', async () => {
    const { inspect } = await import('node:util');
    const error = etcdErrorFor({ errorCode: 100, cause: '/hello', index: 7 });
    const shown = inspect(error);
    expect(shown.split('\n')[0]).toBe('KeyNotFound: [100] Key not found (/hello)');
    expect(shown).toContain('    at ');
    expect(shown).toMatch(/errorCode: 100/);
    expect(shown).toMatch(/index: 7/);
  });
});

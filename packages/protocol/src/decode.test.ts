import { describe, expect, it } from 'vitest';
import { decodeNode, decodeResponse, parseEtcdTime } from './decode.js';
import {
  EtcdError,
  EtcException,
  EventIndexCleared,
  HTTPError,
  InvalidResponse,
  KeyNotFound,
  TestFailed,
} from './errors.js';
import { Directory, Node, Value } from './nodes.js';
import {
  ComparedThenSwapped,
  Created,
  Deleted,
  EtcdResult,
  Expired,
  Got,
  Set as SetResult,
  Updated,
} from './results.js';

const headers = {
  'x-etcd-index': '42',
  'x-raft-index': '100',
  'x-raft-term': '2',
  'content-type': 'application/json',
};

function ok(body: unknown, status = 200, h: Record<string, string> = headers) {
  return decodeResponse({ status, headers: h, body: `${JSON.stringify(body)}\n` });
}

describe('parseEtcdTime', () => {
  it('reads UTC times with 0 to 9 fraction digits, truncating to milliseconds', () => {
    expect(parseEtcdTime('2026-11-27T04:49:55Z')?.toISOString()).toBe('2026-11-27T04:49:55.000Z');
    expect(parseEtcdTime('2026-11-27T04:49:55.3Z')?.toISOString()).toBe('2026-11-27T04:49:55.300Z');
    expect(parseEtcdTime('2026-11-27T04:49:55.371797285Z')?.toISOString()).toBe('2026-11-27T04:49:55.371Z');
  });
  it('applies numeric offsets', () => {
    expect(parseEtcdTime('2026-11-27T05:49:55.5+01:00')?.toISOString()).toBe('2026-11-27T04:49:55.500Z');
    expect(parseEtcdTime('2026-11-27T00:19:55-04:30')?.toISOString()).toBe('2026-11-27T04:49:55.000Z');
  });
  it('rejects what is not RFC 3339', () => {
    expect(parseEtcdTime('yesterday')).toBeUndefined();
    expect(parseEtcdTime('2026-11-27 04:49:55Z')).toBeUndefined();
    expect(parseEtcdTime('2026-11-27T04:49:55.1234567891Z')).toBeUndefined();
  });
});

describe('decodeResponse: results', () => {
  it('maps each action to its class and keeps the headers', () => {
    const cases: Array<[string, Function]> = [
      ['get', Got],
      ['set', SetResult],
      ['update', Updated],
      ['create', Created],
      ['compareAndSwap', ComparedThenSwapped],
      ['delete', Deleted],
      ['expire', Expired],
    ];
    for (const [action, cls] of cases) {
      const result = ok({ action, node: { key: '/a', value: 'v', modifiedIndex: 5, createdIndex: 4 } });
      expect(result).toBeInstanceOf(cls);
      expect(result).toBeInstanceOf(EtcdResult);
      expect(result.action).toBe(action);
      expect(result.etcdIndex).toBe(42);
      expect(result.raftIndex).toBe(100);
      expect(result.raftTerm).toBe(2);
    }
    expect(ok({ action: 'update', node: { key: '/a' } })).toBeInstanceOf(SetResult);
    expect(ok({ action: 'expire', node: { key: '/a' } })).toBeInstanceOf(Deleted);
    expect(SetResult.name).toBe('Set');
  });

  it('exposes the node fields on the result and leaves absent fields absent', () => {
    const result = ok({
      action: 'set',
      node: {
        key: '/foo',
        value: 'bar',
        expiration: '2026-11-27T04:49:55.371797285Z',
        ttl: 5,
        modifiedIndex: 7,
        createdIndex: 7,
      },
      prevNode: { key: '/foo', value: 'old', modifiedIndex: 6, createdIndex: 6 },
    });
    expect(result.node).toBeInstanceOf(Value);
    expect(result.key).toBe('/foo');
    expect(result.value).toBe('bar');
    expect(result.index).toBe(7);
    expect(result.modifiedIndex).toBe(7);
    expect(result.createdIndex).toBe(7);
    expect(result.ttl).toBe(5);
    expect(result.expiration?.toISOString()).toBe('2026-11-27T04:49:55.371Z');
    expect(result.expiresAt).toBe(result.expiration);
    expect(result.prevNode).toBeInstanceOf(Value);
    expect((result.prevNode as Value).value).toBe('old');
    expect(result.nodes).toBeUndefined();

    const bare = ok({ action: 'get', node: { key: '/x', value: '' } }, 200, { 'x-etcd-index': '3' });
    expect(bare.value).toBe('');
    expect('ttl' in bare.node).toBe(false);
    expect('expiration' in bare.node).toBe(false);
    expect('prevNode' in bare).toBe(false);
    expect('raftIndex' in bare).toBe(false);
    expect(bare.raftTerm).toBeUndefined();
  });

  it('builds directories recursively and names the keyless root "/"', () => {
    const result = ok({
      action: 'get',
      node: {
        dir: true,
        nodes: [
          { key: '/a', value: '1', modifiedIndex: 3, createdIndex: 3 },
          { key: '/d', dir: true, nodes: [{ key: '/d/x', value: '2', modifiedIndex: 4, createdIndex: 4 }] },
          { key: '/e', dir: true, modifiedIndex: 5, createdIndex: 5 },
        ],
      },
    });
    expect(result.node).toBeInstanceOf(Directory);
    expect(result.key).toBe('/');
    expect(result.index).toBeUndefined();
    expect(result.values).toEqual(['1']);
    const [a, d, e] = result.nodes!;
    expect(a).toBeInstanceOf(Value);
    expect(d).toBeInstanceOf(Directory);
    expect((d as Directory).values).toEqual(['2']);
    expect((e as Directory).nodes).toEqual([]);
    expect(e?.dir).toBe(true);
    expect(a?.dir).toBe(false);
  });

  it('makes a node with neither value nor dir a plain Node (delete events)', () => {
    const result = ok({ action: 'delete', node: { key: '/k', modifiedIndex: 9, createdIndex: 8 } });
    expect(result.node.constructor).toBe(Node);
    expect(result.value).toBeUndefined();
  });
});

describe('decodeResponse: errors', () => {
  it('throws the class of the etcd error code with message, cause and index', () => {
    const body = '{"errorCode":100,"message":"Key not found","cause":"/hello","index":17}\n';
    let error: unknown;
    try {
      decodeResponse({ status: 404, headers: { 'x-etcd-index': '17' }, body });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KeyNotFound);
    expect(error).toBeInstanceOf(EtcdError);
    expect(error).toBeInstanceOf(EtcException);
    expect(error).toBeInstanceOf(Error);
    const e = error as KeyNotFound;
    expect(e.errorCode).toBe(100);
    expect(e.message).toBe('Key not found');
    expect(e.cause).toBe('/hello');
    expect(e.index).toBe(17);
    expect(e.name).toBe('KeyNotFound');
    expect(e.code).toBe('ETC_ETCD_100');
    expect(String(e)).toBe('KeyNotFound: [100] Key not found (/hello)');
  });

  it('keeps the cause-less form and 401 with its cause', () => {
    expect(() =>
      decodeResponse({
        status: 412,
        headers: {},
        body: '{"errorCode":101,"message":"Compare failed","cause":"[a != b]","index":3}',
      }),
    ).toThrow(TestFailed);
    try {
      decodeResponse({
        status: 400,
        headers: {},
        body: '{"errorCode":401,"message":"The event in requested index is outdated and cleared","cause":"the requested history has been cleared [153/152]","index":1152}',
      });
    } catch (e) {
      expect(e).toBeInstanceOf(EventIndexCleared);
      expect((e as EtcdError).index).toBe(1152);
    }
    try {
      decodeResponse({
        status: 403,
        headers: {},
        body: '{"errorCode":102,"message":"Not a file","index":3}',
      });
    } catch (e) {
      expect(String(e)).toBe('NotFile: [102] Not a file');
    }
  });

  it('turns an unknown code into a plain EtcdError with that code', () => {
    try {
      decodeResponse({
        status: 400,
        headers: {},
        body: '{"errorCode":999,"message":"Something new","index":1}',
      });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(EtcdError);
      expect((e as EtcdError).constructor).toBe(EtcdError);
      expect((e as EtcdError).errorCode).toBe(999);
      expect(String(e)).toBe('EtcdError: [999] Something new');
    }
  });

  it('reports non-etcd failures as HTTPError with the status', () => {
    for (const [status, body] of [
      [503, ''],
      [502, '<html><body>Bad Gateway</body></html>'],
      [404, '404 page not found\n'],
    ] as const) {
      try {
        decodeResponse({ status, headers: {}, body });
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(HTTPError);
        expect(e).not.toBeInstanceOf(InvalidResponse);
        expect((e as HTTPError).statusCode).toBe(status);
        expect((e as HTTPError).body).toBe(body);
      }
    }
  });

  it('reports broken success bodies as InvalidResponse', () => {
    const broken = [
      '',
      '{"action":"get","node":{"key":"/a","val',
      '{"action":"get"}',
      '{"node":{"key":"/a"}}',
      '[1,2]',
      '{"action":"get","node":{"key":5}}',
      '{"action":"get","node":{"key":"/a","expiration":"soon"}}',
      '{"action":"get","node":{"key":"/a","dir":true,"nodes":{}}}',
      '{"action":"get","node":{"key":"/a","modifiedIndex":-1}}',
    ];
    for (const body of broken) {
      expect(() => decodeResponse({ status: 200, headers, body }), body).toThrow(InvalidResponse);
    }
    expect(() =>
      decodeResponse({ status: 200, headers: {}, body: '{"action":"get","node":{"key":"/a","value":"1"}}' }),
    ).toThrow(/X-Etcd-Index/);
  });
});

describe('decodeNode', () => {
  it('builds nodes and rejects bad shapes with InvalidResponse', () => {
    expect(decodeNode({ key: '/a', value: 'x' })).toBeInstanceOf(Value);
    expect(() => decodeNode('nope')).toThrow(InvalidResponse);
  });
});

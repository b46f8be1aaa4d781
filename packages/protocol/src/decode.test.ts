import { describe, expect, it } from 'vitest';
import { BODY_EXCERPT_LENGTH, decodeNode, decodeResponse, decodeResult, parseEtcdTime } from './decode.js';
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
  ComparedThenDeleted,
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
  it('reads every fraction length from 1 to 9 digits, and lower-case t and z', () => {
    for (let digits = 1; digits <= 9; digits++) {
      const text = `2026-11-27T04:49:55.${'123456789'.slice(0, digits)}Z`;
      const ms = Number('123456789'.slice(0, Math.min(3, digits)).padEnd(3, '0'));
      expect(parseEtcdTime(text)?.getTime(), text).toBe(Date.UTC(2026, 10, 27, 4, 49, 55, ms));
    }
    expect(parseEtcdTime('2026-11-27t04:49:55.5z')?.toISOString()).toBe('2026-11-27T04:49:55.500Z');
    expect(parseEtcdTime('2026-11-27T04:49:55.Z')).toBeUndefined();
    expect(parseEtcdTime('2026-11-27T04:49:55.12a4Z')).toBeUndefined();
    expect(parseEtcdTime('2026-1x-27T04:49:55Z')).toBeUndefined();
  });

  it('rejects what is not RFC 3339', () => {
    expect(parseEtcdTime('yesterday')).toBeUndefined();
    expect(parseEtcdTime('2026-11-27 04:49:55Z')).toBeUndefined();
    expect(parseEtcdTime('2026-11-27T04:49:55.1234567891Z')).toBeUndefined();
  });
});

describe('decodeResponse: results', () => {
  it('maps each action to exactly its class and keeps the headers', () => {
    const cases: Array<[string, Function]> = [
      ['get', Got],
      ['set', SetResult],
      ['update', Updated],
      ['create', Created],
      ['compareAndSwap', ComparedThenSwapped],
      ['delete', Deleted],
      ['expire', Expired],
      ['compareAndDelete', ComparedThenDeleted],
      ['somethingNew', EtcdResult],
    ];
    for (const [action, cls] of cases) {
      const result = ok({ action, node: { key: '/a', value: 'v', modifiedIndex: 5, createdIndex: 4 } });
      expect(result.constructor, action).toBe(cls);
      expect(result.action).toBe(action);
      expect(result.etcdIndex).toBe(42);
      expect(result.raftIndex).toBe(100);
      expect(result.raftTerm).toBe(2);
    }
  });

  it('keeps the class hierarchy: storing actions are a Set, removing ones a Deleted', () => {
    for (const action of ['set', 'update', 'create', 'compareAndSwap']) {
      expect(ok({ action, node: { key: '/a' } }), action).toBeInstanceOf(SetResult);
    }
    for (const action of ['delete', 'expire', 'compareAndDelete']) {
      expect(ok({ action, node: { key: '/a' } }), action).toBeInstanceOf(Deleted);
    }
    expect(ok({ action: 'get', node: { key: '/a' } })).not.toBeInstanceOf(SetResult);
    expect(ok({ action: 'set', node: { key: '/a' } })).toBeInstanceOf(EtcdResult);
    expect(SetResult.name).toBe('Set');
  });

  it('decodes a compareAndDelete with its prevNode', () => {
    const result = ok({
      action: 'compareAndDelete',
      node: { key: '/lock', modifiedIndex: 12, createdIndex: 10 },
      prevNode: { key: '/lock', value: 'me', modifiedIndex: 10, createdIndex: 10 },
    });
    expect(result.constructor).toBe(ComparedThenDeleted);
    expect(result.node.constructor).toBe(Node);
    expect(result.value).toBeUndefined();
    expect(result.index).toBe(12);
    expect(result.prevNode?.constructor).toBe(Value);
    expect((result.prevNode as Value).value).toBe('me');
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
      '{"action":"get","node":{"key":"/a","ttl":1.5}}',
      '{"action":"get","node":{"key":"/a","ttl":"5"}}',
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

// What etcd 3.4.23 sent, captured with curl from a member started for it: a key set with ttl 1,
// the member stopped with SIGSTOP for 2.6 s, a GET and a pending wait answered after SIGCONT,
// before its expiry sweep ran (the steps tooling/faults/src/late-expiry.test.ts repeats).
const lateGet =
  '{"action":"get","node":{"key":"/neg","value":"v","expiration":"2026-12-01T22:03:30.647682315Z","ttl":-1,"modifiedIndex":4,"createdIndex":4}}\n';
const lateExpire =
  '{"action":"expire","node":{"key":"/neg","modifiedIndex":6,"createdIndex":4},"prevNode":{"key":"/neg","value":"v","expiration":"2026-12-01T22:03:30.647682315Z","ttl":-1,"modifiedIndex":4,"createdIndex":4}}\n';
const lateHeaders = { 'x-etcd-index': '5', 'x-raft-index': '7', 'x-raft-term': '2' };

describe('decodeResponse: late expiry (negative ttl)', () => {
  it('keeps the negative ttl of an overdue key as etcd sent it', () => {
    const result = decodeResponse({ status: 200, headers: lateHeaders, body: lateGet });
    expect(result.constructor).toBe(Got);
    expect(result.ttl).toBe(-1);
    expect(result.node.ttl).toBe(-1);
    expect(result.value).toBe('v');
    expect(result.expiration?.toISOString()).toBe('2026-12-01T22:03:30.647Z');
  });

  it('keeps it in the prevNode of the late expire event a watch receives', () => {
    const result = decodeResponse({ status: 200, headers: lateHeaders, body: lateExpire });
    expect(result.constructor).toBe(Expired);
    expect(result.prevNode?.ttl).toBe(-1);
    expect(result.index).toBe(6);
  });

  it('accepts any negative safe integer ttl, and rejects unsafe ones', () => {
    const node = (ttl: number) => ({ action: 'get', node: { key: '/a', value: 'v', ttl } });
    expect(ok(node(-12)).ttl).toBe(-12);
    expect(() => ok(node(2 ** 53))).toThrow(InvalidResponse);
    expect(() => ok(node(-(2 ** 53)))).toThrow(InvalidResponse);
  });
});

describe('decodeResponse: indexes above 2^53', () => {
  const big = '9007199254740993'; // 2^53 + 1: not exactly representable as a number

  it('rejects an unsafe modifiedIndex or createdIndex, in node and prevNode', () => {
    for (const body of [
      `{"action":"get","node":{"key":"/a","value":"1","modifiedIndex":${big}}}`,
      `{"action":"get","node":{"key":"/a","value":"1","createdIndex":${big}}}`,
      `{"action":"set","node":{"key":"/a","value":"1"},"prevNode":{"key":"/a","modifiedIndex":${big}}}`,
      `{"action":"get","node":{"dir":true,"nodes":[{"key":"/a","modifiedIndex":${big}}]}}`,
    ]) {
      expect(() => decodeResponse({ status: 200, headers, body }), body).toThrow(InvalidResponse);
    }
    const largest = `{"action":"get","node":{"key":"/a","modifiedIndex":${Number.MAX_SAFE_INTEGER}}}`;
    expect(decodeResponse({ status: 200, headers, body: largest }).index).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('rejects unsafe X-Etcd-Index, X-Raft-Index and X-Raft-Term headers', () => {
    const body = '{"action":"get","node":{"key":"/a","value":"1"}}';
    for (const name of ['x-etcd-index', 'x-raft-index', 'x-raft-term']) {
      expect(() => decodeResponse({ status: 200, headers: { ...headers, [name]: big }, body }), name).toThrow(
        InvalidResponse,
      );
      expect(() => decodeResponse({ status: 200, headers: { ...headers, [name]: 'x' }, body }), name).toThrow(
        InvalidResponse,
      );
    }
    const safe = String(Number.MAX_SAFE_INTEGER);
    const result = decodeResponse({
      status: 200,
      headers: { 'x-etcd-index': safe, 'x-raft-index': safe, 'x-raft-term': safe },
      body,
    });
    expect([result.etcdIndex, result.raftIndex, result.raftTerm]).toEqual([
      Number.MAX_SAFE_INTEGER,
      Number.MAX_SAFE_INTEGER,
      Number.MAX_SAFE_INTEGER,
    ]);
  });

  it('rejects an etcd error whose index is unsafe', () => {
    const body = `{"errorCode":100,"message":"Key not found","cause":"/a","index":${big}}`;
    expect(() => decodeResponse({ status: 404, headers: {}, body })).toThrow(InvalidResponse);
  });
});

describe('decodeResponse: body excerpts', () => {
  it('keeps at most the first 200 characters of a body and never puts it in the message', () => {
    const secret = 'Authorization: Basic dXNlcjpzZWNyZXQ=';
    for (const page of [`<html>${'x'.repeat(1000)}</html>`, `<html>${secret}${'x'.repeat(1000)}</html>`]) {
      for (const status of [200, 502]) {
        let error: unknown;
        try {
          decodeResponse({ status, headers: {}, body: page });
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(HTTPError);
        const e = error as HTTPError;
        expect(BODY_EXCERPT_LENGTH).toBe(200);
        if (!page.includes(secret)) expect(e.body).toBe(page.slice(0, 200));
        expect(e.body.length).toBeLessThanOrEqual(200);
        expect(e.body).not.toContain('dXNlcjpzZWNyZXQ');
        expect(e.message).not.toContain('dXNlcjpzZWNyZXQ');
        expect(e.message).not.toContain('<html>');
      }
    }
  });

  it('cuts a long body to its first 200 characters', () => {
    const page = `<html>${'y '.repeat(1000)}</html>`;
    try {
      decodeResponse({ status: 502, headers: {}, body: page });
    } catch (error) {
      expect((error as HTTPError).body).toBe(page.slice(0, 200));
    }
    expect.assertions(1);
  });

  it('keeps an excerpt for a broken result too', () => {
    const body = `{"action":"get","node":{"key":"/a","value":"${'v'.repeat(500)}","ttl":"x"}}`;
    try {
      decodeResponse({ status: 200, headers, body });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidResponse);
      expect((e as InvalidResponse).body).toBe(body.slice(0, 200));
      expect((e as InvalidResponse).message).toBe('invalid result: node.ttl is not a safe integer');
    }
  });
});

describe('decodeResult: the object path', () => {
  it('decodes the wire object exactly as decodeResponse decodes its text', () => {
    const wire = {
      action: 'compareAndSwap',
      node: { key: '/a', value: '2', ttl: -3, modifiedIndex: 9, createdIndex: 4 },
      prevNode: { key: '/a', value: '1', modifiedIndex: 8, createdIndex: 4 },
    };
    const fromObject = decodeResult(200, headers, wire);
    const fromText = decodeResponse({ status: 200, headers, body: JSON.stringify(wire) });
    expect(fromObject.constructor).toBe(ComparedThenSwapped);
    expect(fromObject).toEqual(fromText);
  });

  it('throws the etcd error of an error object and InvalidResponse for a bad one', () => {
    const error = { errorCode: 100, message: 'Key not found', cause: '/a', index: 7 };
    expect(() => decodeResult(404, {}, error)).toThrow(KeyNotFound);
    expect(() => decodeResult(200, headers, { action: 'get' })).toThrow(InvalidResponse);
    try {
      decodeResult(200, headers, { action: 'get', node: { key: 5 } });
      expect.unreachable();
    } catch (e) {
      expect((e as InvalidResponse).body).toBe('{"action":"get","node":{"key":5}}');
    }
  });
});

import {
  decodeResponse,
  type EtcdError,
  encodeGet,
  encodeSet,
  IndexNaN,
  InvalidField,
  InvalidForm,
  KeyNotFound,
  NotDir,
  PrevValueRequired,
  TTLNaN,
  type WireRequest,
} from '@etc/client';
import { describe, expect } from 'vitest';
import type { BackendFactory } from '../backend.js';
import { rawHttp } from '../etcd-backend.js';
import { rejection, scenario } from './context.js';
import { expectEtcdError } from './expect-error.js';

function decodeError(response: Parameters<typeof decodeResponse>[0]): unknown {
  try {
    decodeResponse(response);
  } catch (error) {
    return error;
  }
  throw new Error(`expected an error response, got ${response.status} ${response.body}`);
}

function rawPut(key: string, params: Array<[string, string]>): WireRequest {
  return { ...encodeSet({ key }), params };
}

/** Error codes the client and raw requests provoke, with class, code, message, cause and index. */
export function errorScenarios(factory: BackendFactory): void {
  describe('errors', () => {
    scenario(factory, '100 KeyNotFound reads like the original', async (t) => {
      const base = (await t.client.set(t.key('sibling'), 's')).etcdIndex;
      const error = await rejection(t.client.get(t.key('hello')));
      const err = expectEtcdError(error, KeyNotFound, {
        errorCode: 100,
        message: 'Key not found',
        cause: t.key('hello'),
      });
      t.expectIndexAtLeast(err.index, base);
      expect(String(err)).toBe(`KeyNotFound: [100] Key not found (${t.key('hello')})`);
      expect(err.code).toBe('ETC_ETCD_100');
      // The cause is the first missing segment of the path, not the whole key.
      const deep = await rejection(t.client.get(t.key('missing/deeper/key')));
      expectEtcdError(deep, KeyNotFound, {
        errorCode: 100,
        message: 'Key not found',
        cause: t.key('missing'),
      });
      const deepWrite = await rejection(t.client.update(t.key('missing/deeper/key'), 'v'));
      expectEtcdError(deepWrite, KeyNotFound, {
        errorCode: 100,
        message: 'Key not found',
        cause: t.key('missing'),
      });
    });

    scenario(factory, '104 NotDir names the file in the way', async (t) => {
      const file = await t.client.set(t.key('f'), 'v');
      for (const key of [t.key('f/child'), t.key('f/a/b')]) {
        const error = await rejection(t.client.set(key, 'x'));
        const err = expectEtcdError(error, NotDir, {
          errorCode: 104,
          message: 'Not a directory',
          cause: t.key('f'),
        });
        t.expectIndexAtLeast(err.index, file.etcdIndex);
      }
      const read = await rejection(t.client.get(t.key('f/child')));
      expectEtcdError(read, NotDir, { errorCode: 104, message: 'Not a directory', cause: t.key('f') });
      const append = await rejection(t.client.append(t.key('f'), 'x'));
      expectEtcdError(append, NotDir, { errorCode: 104, message: 'Not a directory', cause: t.key('f') });
    });

    scenario(factory, '201 and 202 from the client, with index 0', async (t) => {
      const prevValue = await rejection(t.client.set(t.key('p'), 'v', { prevValue: '' }));
      expectEtcdError(prevValue, PrevValueRequired, {
        errorCode: 201,
        message: 'PrevValue is Required in POST form',
        cause: '"prevValue" cannot be empty',
        index: 0,
      });
      const ttl = await rejection(t.client.adapter.set({ key: t.key('p'), value: 'v', ttl: -1 }));
      expectEtcdError(ttl, TTLNaN, {
        errorCode: 202,
        message: 'The given TTL in POST form is not a number',
        cause: 'invalid value for "ttl"',
        index: 0,
      });
      await expect(t.client.get(t.key('p'))).rejects.toBeInstanceOf(KeyNotFound);
    });

    scenario(factory, '203 and 209 from raw requests', async (t) => {
      const cases: Array<[WireRequest, typeof EtcdError, number, string, string]> = [
        [
          rawPut(t.key('r'), [['prevIndex', 'abc']]),
          IndexNaN,
          203,
          'The given index in POST form is not a number',
          'invalid value for "prevIndex"',
        ],
        [
          rawPut(t.key('r'), [['ttl', '1.5']]),
          TTLNaN,
          202,
          'The given TTL in POST form is not a number',
          'invalid value for "ttl"',
        ],
        [
          {
            ...encodeGet({ key: t.key('r') }),
            params: [
              ['wait', 'true'],
              ['waitIndex', 'x'],
            ],
          },
          IndexNaN,
          203,
          'The given index in POST form is not a number',
          'invalid value for "waitIndex"',
        ],
        [
          { ...encodeGet({ key: t.key('r') }), params: [['recursive', 'maybe']] },
          InvalidField,
          209,
          'Invalid field',
          'invalid value for "recursive"',
        ],
        [
          rawPut(t.key('r'), [
            ['value', 'v'],
            ['dir', 'yes'],
          ]),
          InvalidField,
          209,
          'Invalid field',
          'invalid value for "dir"',
        ],
        [
          rawPut(t.key('r'), [
            ['value', 'v'],
            ['wait', 'true'],
          ]),
          InvalidField,
          209,
          'Invalid field',
          '"wait" can only be used with GET requests',
        ],
      ];
      for (const [request, cls, errorCode, message, cause] of cases) {
        const response = await t.backend.raw(request);
        expect(response.status).toBe(400);
        expect(response.headers['x-etcd-index']).toBe('0');
        expect(response.headers['x-raft-index']).toBeUndefined();
        expect(JSON.parse(response.body)).toEqual({ errorCode, message, cause, index: 0 });
        expectEtcdError(decodeError(response), cls, { errorCode, message, cause, index: 0 });
      }
    });

    if (factory.name === 'etcd') {
      // The mock takes parsed parameters (a WireRequest), so a malformed form body cannot reach it.
      scenario(factory, '210 InvalidForm from a malformed form body (etcd only)', async (t) => {
        const url = t.client.url;
        const response = await fetch(`${url}${encodeSet({ key: t.key('f') }).path}`, {
          method: 'PUT',
          body: 'value=%zz',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
        const headers: Record<string, string> = {};
        response.headers.forEach((value, name) => {
          headers[name] = value;
        });
        const wire = { status: response.status, headers, body: await response.text() };
        expect(wire.status).toBe(400);
        expectEtcdError(decodeError(wire), InvalidForm, {
          errorCode: 210,
          message: 'Invalid POST form',
          cause: 'invalid URL escape "%zz"',
          index: 0,
        });
        const sane = await rawHttp(url, encodeGet({ key: t.key('f') }));
        expect(sane.status).toBe(404);
      });
    }
  });
}

import { Directory, Got, Node, SetResult, Value } from '@etc/client';
import { expect, test } from 'vitest';
import { goResponse, goString, goTime } from './go-json.js';

test("strings as Go's encoding/json escapes them", () => {
  expect(goString('a<b>&"\\')).toBe('"a\\u003cb\\u003e\\u0026\\"\\\\"');
  expect(goString('\n\r\t\u0001\u001f\u2028\u2029é😀')).toBe('"\\n\\r\\t\\u0001\\u001f\\u2028\\u2029é😀"');
  expect(goString('\ud800x')).toBe('"\ufffdx"');
});

test('times as Go marshals time.Time: no trailing zeros in the fraction', () => {
  expect(goTime(new Date('2026-12-01T22:43:12.360Z'))).toBe('2026-12-01T22:43:12.36Z');
  expect(goTime(new Date('2026-12-01T22:43:12.000Z'))).toBe('2026-12-01T22:43:12Z');
});

test("responses as etcdctl v2's client.Response: field order, null nodes, omitted ttl", () => {
  const set = new SetResult({
    action: 'set',
    node: new Value({ key: '/a', value: '2', createdIndex: 5, modifiedIndex: 5 }),
    prevNode: new Value({ key: '/a', value: '1', createdIndex: 4, modifiedIndex: 4 }),
    etcdIndex: 5,
  });
  expect(goResponse(set)).toBe(
    '{"action":"set","node":{"key":"/a","value":"2","nodes":null,"createdIndex":5,"modifiedIndex":5},' +
      '"prevNode":{"key":"/a","value":"1","nodes":null,"createdIndex":4,"modifiedIndex":4}}',
  );
  const root = new Got({
    action: 'get',
    node: new Directory({
      key: '/',
      nodes: [
        new Directory({ key: '/d', createdIndex: 7, modifiedIndex: 7, ttl: 9, expiration: new Date(0) }),
        new Node({ key: '/n' }),
      ],
    }),
    etcdIndex: 9,
  });
  expect(goResponse(root)).toBe(
    '{"action":"get","node":{"key":"","dir":true,"value":"","nodes":[' +
      '{"key":"/d","dir":true,"value":"","nodes":null,"createdIndex":7,"modifiedIndex":7,"expiration":"1970-01-01T00:00:00Z","ttl":9},' +
      '{"key":"/n","value":"","nodes":null,"createdIndex":0,"modifiedIndex":0}' +
      '],"createdIndex":0,"modifiedIndex":0},"prevNode":null}',
  );
});

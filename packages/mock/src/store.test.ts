import { describe, expect, it } from 'vitest';
import { MockStore } from './mock-store.js';
import { send } from './test-helpers.js';

describe('MockStore indexes and dispatch', () => {
  it('starts where a fresh etcd 3.4 does: index 3, first write 4', async () => {
    const store = new MockStore({ clusterId: 'd1cfaf999eb97a2a' });
    const root = await send(store, 'GET', '/');
    expect(root.body).toBe('{"action":"get","node":{"dir":true}}\n');
    expect(root.headers).toEqual({
      'content-type': 'application/json',
      'x-etcd-cluster-id': 'd1cfaf999eb97a2a',
      'x-etcd-index': '3',
      'x-raft-index': '4',
      'x-raft-term': '2',
    });
    const set = await send(store, 'PUT', '/a', { value: '1' });
    expect(set.status).toBe(201);
    expect(set.body).toBe(
      '{"action":"set","node":{"key":"/a","value":"1","modifiedIndex":4,"createdIndex":4}}\n',
    );
    expect(set.headers['x-etcd-index']).toBe('4');
    expect(store.index).toBe(4);
  });

  it('set replaces a node: new createdIndex, status 200, prevNode', async () => {
    const store = new MockStore();
    await send(store, 'PUT', '/a', { value: '1' });
    const again = await send(store, 'PUT', '/a', { value: '2' });
    expect(again.status).toBe(200);
    expect(again.json).toEqual({
      action: 'set',
      node: { key: '/a', value: '2', modifiedIndex: 5, createdIndex: 5 },
      prevNode: { key: '/a', value: '1', modifiedIndex: 4, createdIndex: 4 },
    });
  });

  it('dispatches PUT like apply_v2: update, CAS, create', async () => {
    const store = new MockStore();
    await send(store, 'PUT', '/a', { value: 'one' });
    const update = await send(store, 'PUT', '/a', { value: 'two', prevExist: 'true' });
    expect(update.json.action).toBe('update');
    expect(update.json.node).toEqual({ key: '/a', value: 'two', modifiedIndex: 5, createdIndex: 4 });
    const cas = await send(store, 'PUT', '/a', { value: 'three', prevValue: 'two' });
    expect(cas.json.action).toBe('compareAndSwap');
    const casExist = await send(store, 'PUT', '/a', { value: 'four', prevExist: 'true', prevIndex: '6' });
    expect(casExist.json.action).toBe('compareAndSwap');
    const create = await send(store, 'PUT', '/b', { value: 'x', prevExist: 'false', prevValue: 'ignored' });
    expect(create.status).toBe(201);
    expect(create.json.action).toBe('create');
    const exists = await send(store, 'PUT', '/b', { value: 'x', prevExist: 'false' });
    expect(exists.status).toBe(412);
    expect(exists.json).toEqual({ errorCode: 105, message: 'Key already exists', cause: '/b', index: 8 });
    const missing = await send(store, 'PUT', '/c', { value: 'x', prevExist: 'true' });
    expect(missing.json).toEqual({ errorCode: 100, message: 'Key not found', cause: '/c', index: 8 });
  });

  it('answers CAS failures with both causes and no index change', async () => {
    const store = new MockStore();
    await send(store, 'PUT', '/cas', { value: 'one' });
    const both = await send(store, 'PUT', '/cas', { value: 'x', prevValue: 'two', prevIndex: '1' });
    expect(both.status).toBe(412);
    expect(both.body).toBe(
      '{"errorCode":101,"message":"Compare failed","cause":"[two != one] [1 != 4]","index":4}\n',
    );
    expect(both.headers).toEqual({
      'content-type': 'application/json',
      'x-etcd-cluster-id': store.clusterId,
      'x-etcd-index': '4',
    });
    expect((await send(store, 'PUT', '/cas', { value: 'x', prevValue: 'two' })).json.cause).toBe(
      '[two != one]',
    );
    expect((await send(store, 'PUT', '/cas', { value: 'x', prevIndex: '9' })).json.cause).toBe('[9 != 4]');
    expect(store.index).toBe(4);
  });

  it('deletes: files, dirs (dir/recursive), CAD, and their errors', async () => {
    const store = new MockStore({ seed: { d: { f: 'v' }, e: {} } });
    expect(store.index).toBe(6);
    expect((await send(store, 'DELETE', '/d')).json).toMatchObject({ errorCode: 102, cause: '/d' });
    expect((await send(store, 'DELETE', '/d', { dir: 'true' })).json).toMatchObject({
      errorCode: 108,
      cause: '/d',
    });
    const cad = await send(store, 'DELETE', '/d/f', { prevValue: 'v', dir: 'true' });
    expect(cad.json).toEqual({
      action: 'compareAndDelete',
      node: { key: '/d/f', modifiedIndex: 7, createdIndex: 5 },
      prevNode: { key: '/d/f', value: 'v', modifiedIndex: 5, createdIndex: 5 },
    });
    const dir = await send(store, 'DELETE', '/e', { dir: 'true' });
    expect(dir.json).toEqual({
      action: 'delete',
      node: { key: '/e', dir: true, modifiedIndex: 8, createdIndex: 6 },
      prevNode: { key: '/e', dir: true, modifiedIndex: 6, createdIndex: 6 },
    });
    await send(store, 'PUT', '/d/g/h', { value: '1' });
    expect((await send(store, 'DELETE', '/d', { recursive: 'true' })).json.action).toBe('delete');
    expect(store.snapshot()).toEqual({});
    await send(store, 'PUT', '/file', { value: '1' });
    expect((await send(store, 'DELETE', '/file', { dir: 'true' })).json.action).toBe('delete');
  });

  it('keeps the root read only, with the CAD-on-root quirk', async () => {
    const store = new MockStore();
    for (const [method, params] of [
      ['PUT', { value: 'x' }],
      ['PUT', { dir: 'true' }],
      ['PUT', { value: 'x', prevExist: 'true' }],
      ['PUT', { value: 'x', prevValue: 'y' }],
      ['DELETE', { recursive: 'true' }],
    ] as const) {
      const answer = await send(store, method, '/', params);
      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({ errorCode: 107, message: 'Root is read only', cause: '/', index: 3 });
    }
    const cad = await send(store, 'DELETE', '/', { prevValue: 'x' });
    expect(cad.status).toBe(403);
    expect(cad.body).toBe('{"errorCode":102,"message":"Not a file","index":3}\n');
  });

  it('names the file in the way (104) and the first missing key (100)', async () => {
    const store = new MockStore();
    await send(store, 'PUT', '/a', { value: '1' });
    expect((await send(store, 'PUT', '/a/b/c', { value: '1' })).json).toMatchObject({
      errorCode: 104,
      cause: '/a',
    });
    expect((await send(store, 'GET', '/a/b')).json).toMatchObject({ errorCode: 104, cause: '/a' });
    expect((await send(store, 'POST', '/a', { value: '1' })).json).toMatchObject({
      errorCode: 104,
      cause: '/a',
    });
    expect((await send(store, 'GET', '/nope/x/y')).json).toEqual({
      errorCode: 100,
      message: 'Key not found',
      cause: '/nope',
      index: 4,
    });
  });

  it('creates implicit parents with the new index and in-order keys with %020d', async () => {
    const store = new MockStore();
    await send(store, 'PUT', '/p/q/r', { value: '1' });
    const p = await send(store, 'GET', '/p');
    expect(p.json.node).toEqual({
      key: '/p',
      dir: true,
      nodes: [{ key: '/p/q', dir: true, modifiedIndex: 4, createdIndex: 4 }],
      modifiedIndex: 4,
      createdIndex: 4,
    });
    const posted = await send(store, 'POST', '/queue', { value: 'job' });
    expect(posted.status).toBe(201);
    expect(posted.json.node).toEqual({
      key: '/queue/00000000000000000005',
      value: 'job',
      modifiedIndex: 5,
      createdIndex: 5,
    });
    const dir = await send(store, 'POST', '/queue', { dir: 'true' });
    expect(dir.json.node).toMatchObject({ key: '/queue/00000000000000000006', dir: true });
  });

  it('turns a file into a dir with dir=true, but not a dir into anything', async () => {
    const store = new MockStore();
    await send(store, 'PUT', '/f', { value: 'v' });
    const turned = await send(store, 'PUT', '/f', { dir: 'true' });
    expect(turned.status).toBe(200);
    expect(turned.json.node).toEqual({ key: '/f', dir: true, modifiedIndex: 5, createdIndex: 5 });
    expect(turned.json.prevNode).toEqual({ key: '/f', value: 'v', modifiedIndex: 4, createdIndex: 4 });
    expect((await send(store, 'PUT', '/f', { dir: 'true' })).json).toMatchObject({
      errorCode: 102,
      cause: '/f',
    });
    expect((await send(store, 'PUT', '/f', { value: 'x' })).json).toMatchObject({ errorCode: 102 });
    expect((await send(store, 'PUT', '/f', { dir: 'true', prevExist: 'false' })).json).toMatchObject({
      errorCode: 105,
    });
    expect((await send(store, 'PUT', '/f', { value: 'x', prevExist: 'true' })).json).toMatchObject({
      errorCode: 102,
    });
  });

  it('lists without hidden keys, sorts by UTF-8 bytes, serves hidden keys directly', async () => {
    const store = new MockStore();
    for (const name of ['a', 'é', '\u{1F600}', '\uFF5E', '10', '9', 'B', '_hidden'])
      await send(store, 'PUT', `/s/${name}`, { value: name });
    const sorted = await send(store, 'GET', '/s', { sorted: 'true' });
    const keys = ((sorted.json.node?.nodes ?? []) as Array<{ key: string }>).map((n) => n.key.slice(3));
    expect(keys).toEqual(['10', '9', 'B', 'a', 'é', '\uFF5E', '\u{1F600}']);
    const unsorted = await send(store, 'GET', '/s');
    expect(((unsorted.json.node?.nodes ?? []) as unknown[]).length).toBe(7);
    expect((await send(store, 'GET', '/s/_hidden')).json.node).toMatchObject({ value: '_hidden' });
    expect(store.snapshot().s).toHaveProperty('_hidden', '_hidden');
  });

  it('lists recursively and leaves nodes out of empty dirs', async () => {
    const store = new MockStore({ seed: { a: { b: { c: '1' }, e: {} } } });
    const flat = await send(store, 'GET', '/a', { sorted: 'true' });
    expect(flat.json.node?.nodes).toEqual([
      { key: '/a/b', dir: true, modifiedIndex: 5, createdIndex: 5 },
      { key: '/a/e', dir: true, modifiedIndex: 7, createdIndex: 7 },
    ]);
    const deep = await send(store, 'GET', '/', { recursive: 'true', sorted: 'true' });
    expect(deep.body).toBe(
      '{"action":"get","node":{"dir":true,"nodes":[{"key":"/a","dir":true,"nodes":[{"key":"/a/b","dir":true,"nodes":[{"key":"/a/b/c","value":"1","modifiedIndex":6,"createdIndex":6}],"modifiedIndex":5,"createdIndex":5},{"key":"/a/e","dir":true,"modifiedIndex":7,"createdIndex":7}],"modifiedIndex":4,"createdIndex":4}]}}\n',
    );
  });

  it('escapes JSON as Go does and honours noValueOnSuccess', async () => {
    const store = new MockStore();
    const answer = await send(store, 'PUT', '/esc', { value: '<a>&b\b\f\u2028\u0001"\\' });
    expect(answer.body).toContain('"value":"\\u003ca\\u003e\\u0026b\\u0008\\u000c\\u2028\\u0001\\"\\\\"');
    const bare = await send(store, 'PUT', '/n', { value: 'x', noValueOnSuccess: 'true' });
    expect(bare.body).toBe('{"action":"set"}\n');
    expect(bare.status).toBe(201);
  });

  it('counts raft index per write and per quorum read, not per plain read', async () => {
    const store = new MockStore();
    await send(store, 'GET', '/');
    await send(store, 'PUT', '/a', { value: '1' });
    expect((await send(store, 'GET', '/a')).headers['x-raft-index']).toBe('5');
    expect((await send(store, 'GET', '/a', { quorum: 'true' })).headers['x-raft-index']).toBe('6');
  });
});

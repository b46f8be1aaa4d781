import {
  Created,
  Deleted,
  Directory,
  DirNotEmpty,
  encodeGet,
  encodeSet,
  Got,
  KeyNotFound,
  Node,
  NodeExist,
  NotFile,
  SetResult,
  Updated,
  Value,
} from '@etc/client';
import { describe, expect } from 'vitest';
import type { BackendFactory } from '../backend.js';
import { rejection, scenario } from './context.js';
import { expectEtcdError } from './expect-error.js';

/** Result classes and fields of get/set/create/update/delete, and their raw statuses and headers. */
export function resultScenarios(factory: BackendFactory): void {
  describe('results', () => {
    scenario(factory, 'set of a new key is a Set with the new indexes and raft headers', async (t) => {
      const base = await t.currentIndex();
      const result = await t.client.set(t.key('a'), 'one');
      expect(result.constructor).toBe(SetResult);
      expect(result.action).toBe('set');
      expect(result.node).toBeInstanceOf(Value);
      expect(result.key).toBe(t.key('a'));
      expect(result.value).toBe('one');
      t.expectIndexAfter(result.modifiedIndex, base);
      expect(result.createdIndex).toBe(result.modifiedIndex);
      expect(result.index).toBe(result.modifiedIndex);
      expect(result.etcdIndex).toBe(result.modifiedIndex);
      expect(result.raftIndex).toBeTypeOf('number');
      expect(result.raftTerm).toBeTypeOf('number');
      expect(result.prevNode).toBeUndefined();
      expect(result.ttl).toBeUndefined();
      expect(result.expiration).toBeUndefined();
    });

    scenario(factory, 'set over a value replaces the node and reports prevNode', async (t) => {
      const first = await t.client.set(t.key('a'), 'one');
      const second = await t.client.set(t.key('a'), 'two');
      expect(second.constructor).toBe(SetResult);
      t.expectIndexAfter(second.modifiedIndex, first.etcdIndex);
      expect(second.createdIndex).toBe(second.modifiedIndex);
      expect(second.prevNode).toBeInstanceOf(Value);
      expect(second.prevNode).toMatchObject({
        key: t.key('a'),
        value: 'one',
        modifiedIndex: first.modifiedIndex,
        createdIndex: first.createdIndex,
      });
    });

    scenario(factory, 'create makes a new key and refuses an existing one', async (t) => {
      const created = await t.client.create(t.key('c'), 'v');
      expect(created).toBeInstanceOf(Created);
      expect(created).toBeInstanceOf(SetResult);
      expect(created.action).toBe('create');
      expect(created.prevNode).toBeUndefined();
      const error = await rejection(t.client.create(t.key('c'), 'w'));
      const err = expectEtcdError(error, NodeExist, {
        errorCode: 105,
        message: 'Key already exists',
        cause: t.key('c'),
      });
      t.expectIndexAtLeast(err.index, created.etcdIndex);
      expect((await t.client.get(t.key('c'))).value).toBe('v');
    });

    scenario(factory, 'update changes an existing key and refuses a missing one', async (t) => {
      const set = await t.client.set(t.key('u'), 'old');
      const updated = await t.client.update(t.key('u'), 'new');
      expect(updated).toBeInstanceOf(Updated);
      expect(updated.action).toBe('update');
      expect(updated.value).toBe('new');
      expect(updated.createdIndex).toBe(set.createdIndex);
      t.expectIndexAfter(updated.modifiedIndex, set.etcdIndex);
      expect(updated.prevNode).toMatchObject({ value: 'old', modifiedIndex: set.modifiedIndex });
      const error = await rejection(t.client.update(t.key('missing'), 'x'));
      const err = expectEtcdError(error, KeyNotFound, {
        errorCode: 100,
        message: 'Key not found',
        cause: t.key('missing'),
      });
      t.expectIndexAtLeast(err.index, updated.etcdIndex);
    });

    scenario(factory, 'get of a value and of a directory', async (t) => {
      const a = await t.client.set(t.key('d/a'), '1');
      const b = await t.client.set(t.key('d/b'), '2');
      const got = await t.client.get(t.key('d/a'));
      expect(got).toBeInstanceOf(Got);
      expect(got.action).toBe('get');
      expect(got.value).toBe('1');
      expect(got.modifiedIndex).toBe(a.modifiedIndex);
      t.expectIndexAtLeast(got.etcdIndex, b.etcdIndex);
      expect(got.raftIndex).toBeTypeOf('number');
      expect(got.raftTerm).toBeTypeOf('number');
      const dir = await t.client.get(t.key('d'), { sorted: true });
      expect(dir.node).toBeInstanceOf(Directory);
      expect(dir.node.dir).toBe(true);
      expect(dir.key).toBe(t.key('d'));
      expect(dir.createdIndex).toBe(a.createdIndex);
      expect(dir.nodes?.map((n) => n.key)).toEqual([t.key('d/a'), t.key('d/b')]);
      expect(dir.values).toEqual(['1', '2']);
      expect(dir.value).toBeUndefined();
      const quorum = await t.client.get(t.key('d/b'), { quorum: true });
      expect(quorum.value).toBe('2');
    });

    scenario(factory, 'delete of a value is a Deleted with a bare node and prevNode', async (t) => {
      const set = await t.client.set(t.key('x'), 'gone');
      const deleted = await t.client.delete(t.key('x'));
      expect(deleted.constructor).toBe(Deleted);
      expect(deleted.action).toBe('delete');
      expect(deleted.node.constructor).toBe(Node);
      expect(deleted.value).toBeUndefined();
      t.expectIndexAfter(deleted.modifiedIndex, set.etcdIndex);
      expect(deleted.createdIndex).toBe(set.createdIndex);
      expect(deleted.etcdIndex).toBe(deleted.modifiedIndex);
      expect(deleted.prevNode).toMatchObject({
        key: t.key('x'),
        value: 'gone',
        modifiedIndex: set.modifiedIndex,
      });
      await expect(t.client.get(t.key('x'))).rejects.toBeInstanceOf(KeyNotFound);
      const error = await rejection(t.client.delete(t.key('x')));
      expectEtcdError(error, KeyNotFound, { errorCode: 100, message: 'Key not found', cause: t.key('x') });
    });

    scenario(factory, 'directories: create, refuse to overwrite, replace a file, delete', async (t) => {
      const made = await t.client.set(t.key('dir'), { dir: true });
      expect(made.node).toBeInstanceOf(Directory);
      expect(made.nodes).toEqual([]);
      const again = await rejection(t.client.set(t.key('dir'), { dir: true }));
      expectEtcdError(again, NotFile, { errorCode: 102, message: 'Not a file', cause: t.key('dir') });
      const value = await rejection(t.client.set(t.key('dir'), 'v'));
      expectEtcdError(value, NotFile, { errorCode: 102, message: 'Not a file', cause: t.key('dir') });
      const createDir = await rejection(t.client.create(t.key('dir'), { dir: true }));
      expectEtcdError(createDir, NodeExist, {
        errorCode: 105,
        message: 'Key already exists',
        cause: t.key('dir'),
      });

      const file = await t.client.set(t.key('file'), 'f');
      const replaced = await t.client.set(t.key('file'), { dir: true });
      expect(replaced.node).toBeInstanceOf(Directory);
      expect(replaced.prevNode).toMatchObject({ value: 'f', modifiedIndex: file.modifiedIndex });

      await t.client.set(t.key('dir/child'), 'c');
      const plain = await rejection(t.client.delete(t.key('dir')));
      expectEtcdError(plain, NotFile, { errorCode: 102, message: 'Not a file', cause: t.key('dir') });
      const notEmpty = await rejection(t.client.delete(t.key('dir'), { dir: true }));
      expectEtcdError(notEmpty, DirNotEmpty, {
        errorCode: 108,
        message: 'Directory not empty',
        cause: t.key('dir'),
      });
      const recursive = await t.client.delete(t.key('dir'), { recursive: true });
      expect(recursive).toBeInstanceOf(Deleted);
      expect(recursive.node).toBeInstanceOf(Directory);
      expect(recursive.prevNode).toBeInstanceOf(Directory);
      expect(recursive.prevNode?.createdIndex).toBe(made.createdIndex);
      const emptyDir = await t.client.delete(t.key('file'), { dir: true });
      expect(emptyDir.node.dir).toBe(true);
      const fileAsDir = await t.client.set(t.key('f2'), 'v');
      const deletedFile = await t.client.delete(t.key('f2'), { dir: true });
      expect(deletedFile.prevNode).toMatchObject({ value: 'v', modifiedIndex: fileAsDir.modifiedIndex });
    });

    scenario(factory, 'raw statuses and headers of successes and errors', async (t) => {
      const created = await t.backend.raw(encodeSet({ key: t.key('s'), value: '1' }));
      expect(created.status).toBe(201);
      expect(created.headers['content-type']).toBe('application/json');
      expect(created.headers['x-etcd-cluster-id']).toMatch(/^[0-9a-f]+$/);
      expect(created.headers['x-raft-index']).toMatch(/^\d+$/);
      expect(created.headers['x-raft-term']).toMatch(/^\d+$/);
      const body = JSON.parse(created.body);
      expect(created.headers['x-etcd-index']).toBe(String(body.node.modifiedIndex));
      expect(created.body.endsWith('\n')).toBe(true);
      expect(Object.keys(body.node)).toEqual(['key', 'value', 'modifiedIndex', 'createdIndex']);
      const overwritten = await t.backend.raw(encodeSet({ key: t.key('s'), value: '2' }));
      expect(overwritten.status).toBe(200);
      const create = await t.backend.raw(encodeSet({ key: t.key('n'), value: '', prevExist: false }));
      expect(create.status).toBe(201);
      expect(JSON.parse(create.body).node.value).toBe('');
      const missing = await t.backend.raw(encodeGet({ key: t.key('none') }));
      expect(missing.status).toBe(404);
      expect(missing.headers['x-raft-index']).toBeUndefined();
      expect(missing.headers['x-raft-term']).toBeUndefined();
      expect(missing.headers['x-etcd-cluster-id']).toMatch(/^[0-9a-f]+$/);
      const error = JSON.parse(missing.body);
      expect(Object.keys(error)).toEqual(['errorCode', 'message', 'cause', 'index']);
      expect(missing.headers['x-etcd-index']).toBe(String(error.index));
      const exists = await t.backend.raw(encodeSet({ key: t.key('n'), value: '', prevExist: false }));
      expect(exists.status).toBe(412);
      await t.client.set(t.key('dir/x'), 'x');
      const notFile = await t.backend.raw(encodeSet({ key: t.key('dir'), value: 'v' }));
      expect(notFile.status).toBe(403);
    });
  });
}

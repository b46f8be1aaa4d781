import {
  ComparedThenDeleted,
  ComparedThenSwapped,
  Created,
  Deleted,
  Directory,
  type EtcdResult,
  Expired,
  Got,
  KeyNotFound,
  Node,
  NodeExist,
  SetResult,
  TestFailed,
  Updated,
  Value,
} from '@etc/protocol';
import { describe, expect, it } from 'vitest';
import { type ContractContext, rejection } from '../context.js';

/** Checks that `value` is an instance of exactly `cls`, not of a parent or a sibling class. */
function expectExactly(value: unknown, cls: abstract new (...args: never[]) => unknown): void {
  expect(value).toBeInstanceOf(cls);
  expect(Object.getPrototypeOf(value)).toBe(cls.prototype);
}

/** Results and errors decoded from the server's answers: exact classes, absent fields, odd values. */
export function resultChecks(ctx: ContractContext): void {
  describe('results', () => {
    it('every action resolves with exactly its own class', async () => {
      const adapter = await ctx.adapter();
      const key = ctx.key('a');
      const run = async (
        call: () => Promise<EtcdResult>,
        cls: abstract new (...args: never[]) => unknown,
      ) => {
        const result = await call();
        expectExactly(result, cls);
        expect(result.key.startsWith(ctx.prefix)).toBe(true);
      };
      await run(() => adapter.set({ key, value: '1', prevExist: false }), Created);
      await run(() => adapter.set({ key, value: '2' }), SetResult);
      await run(() => adapter.set({ key, value: '3', prevExist: true }), Updated);
      await run(() => adapter.set({ key, value: '4', prevValue: '3' }), ComparedThenSwapped);
      await run(() => adapter.get({ key }), Got);
      await run(() => adapter.delete({ key, prevValue: '4' }), ComparedThenDeleted);
      await run(() => adapter.set({ key, value: '5' }), SetResult);
      await run(() => adapter.delete({ key }), Deleted);
      await run(() => adapter.append({ key: ctx.key('queue'), value: 'x' }), Created);
    });

    it('a wait resolves with the class of the event it saw, Expired included', async () => {
      const adapter = await ctx.adapter();
      const key = ctx.key('ttl');
      const written = await adapter.set({ key, value: 'short', ttl: 1 });
      const waitIndex = (written.modifiedIndex as number) + 1;
      const expired = await adapter.get({ key, wait: true, waitIndex });
      expectExactly(expired, Expired);
      expect(expired.key).toBe(key);
      expectExactly(expired.prevNode, Value);
      const updated = adapter.get({ key, wait: true, waitIndex: (expired.modifiedIndex as number) + 1 });
      await adapter.set({ key, value: 'back', prevExist: false });
      expectExactly(await updated, Created);
    });

    it('etcd errors reject with exactly their class, carrying code, cause and index', async () => {
      const adapter = await ctx.adapter();
      const key = ctx.key('a');
      // etcd names the first missing segment in `cause`: make the prefix exist.
      await adapter.set({ key: ctx.key('sibling'), value: '' });
      const missing = await rejection(adapter.get({ key }));
      expectExactly(missing, KeyNotFound);
      expect((missing as KeyNotFound).errorCode).toBe(100);
      expect((missing as KeyNotFound).cause).toBe(key);
      expect((missing as KeyNotFound).index).toBeGreaterThan(0);
      await adapter.set({ key, value: '1' });
      expectExactly(await rejection(adapter.set({ key, value: '2', prevExist: false })), NodeExist);
      expectExactly(await rejection(adapter.set({ key, value: '2', prevValue: 'no' })), TestFailed);
      expectExactly(await rejection(adapter.delete({ key, prevIndex: 1 })), TestFailed);
    });

    it('fields the server leaves out stay absent', async () => {
      const adapter = await ctx.adapter();
      const key = ctx.key('plain');
      const created = await adapter.set({ key, value: '', prevExist: false });
      // A value without a TTL: no ttl, no expiration; a create has no previous node.
      expectExactly(created.node, Value);
      expect(created.value).toBe('');
      expect('ttl' in created.node).toBe(false);
      expect('expiration' in created.node).toBe(false);
      expect(created.ttl).toBeUndefined();
      expect(created.prevNode).toBeUndefined();
      // An empty directory has no `nodes` on the wire: an empty list.
      const dir = ctx.key('dir');
      await adapter.set({ key: dir, dir: true });
      const listed = await adapter.get({ key: dir });
      expectExactly(listed.node, Directory);
      expect(listed.nodes).toEqual([]);
      // A deleted value's node has no value: a plain Node; the previous one is a Value.
      const deleted = await adapter.delete({ key });
      expectExactly(deleted.node, Node);
      expect(deleted.value).toBeUndefined();
      expectExactly(deleted.prevNode, Value);
      expect(deleted.prevNode).toMatchObject({ key, value: '' });
    });

    it('a TTL comes back as ttl and expiration', async () => {
      const adapter = await ctx.adapter();
      const key = ctx.key('ttl');
      const before = Date.now();
      const written = await adapter.set({ key, value: 'x', ttl: 100 });
      expect(written.ttl).toBe(100);
      expect(written.expiration).toBeInstanceOf(Date);
      const expires = (written.expiration as Date).getTime();
      // etcd rounds nothing here: now + 100 s on the server (clocks of one machine; 5 s of slack).
      expect(expires).toBeGreaterThan(before + 95_000);
      expect(expires).toBeLessThan(Date.now() + 105_000);
    });

    const late = ctx.features.lateExpiry;
    if (late === undefined) {
      it.todo('a node whose expiry has passed but was not swept yet decodes, with a negative ttl');
    } else {
      it('a node whose expiry has passed but was not swept yet decodes, with a negative ttl', async () => {
        const subject = await late(ctx.prefix, { layers: [] });
        try {
          const got = await subject.adapter.get({ key: subject.key });
          expectExactly(got, Got);
          expect(got.ttl).toBeLessThan(0);
          expect(got.expiration).toBeInstanceOf(Date);
          expect((got.expiration as Date).getTime()).toBeLessThan(Date.now());
        } finally {
          await subject.adapter.close();
          await subject.dispose?.();
        }
      });
    }
  });
}

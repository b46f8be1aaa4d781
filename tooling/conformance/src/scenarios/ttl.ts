import {
  ComparedThenSwapped,
  Directory,
  Expired,
  KeyNotFound,
  RefreshTTLRequired,
  RefreshValue,
  SetResult,
  TestFailed,
  Updated,
} from '@etc/client';
import { describe, expect, vi } from 'vitest';
import type { BackendFactory } from '../backend.js';
import { rejection, scenario } from './context.js';
import { expectEtcdError } from './expect-error.js';

/** Bound on waits for an expiry in milliseconds: etcd sweeps every 500 ms. */
const expiryBound = 10_000;

/** TTLs, expiration, expiry events, directory TTLs and refresh. */
export function ttlScenarios(factory: BackendFactory): void {
  describe('TTL and refresh', () => {
    scenario(factory, 'a ttl gives ttl and expiration, rounded up as time passes', async (t) => {
      const before = Date.now();
      const set = await t.client.set(t.key('t'), 'v', { ttl: 5 });
      expect(set.ttl).toBe(5);
      expect(set.expiration).toBeInstanceOf(Date);
      expect(set.expiresAt).toBe(set.expiration);
      const expiresAt = set.expiration?.getTime() as number;
      expect(expiresAt).toBeGreaterThanOrEqual(before + 5000 - 1000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 5000 + 1000);
      await t.backend.advance(1300);
      const got = await t.client.get(t.key('t'));
      expect(got.expiration?.getTime()).toBe(expiresAt);
      if (vi.isFakeTimers()) expect(got.ttl).toBe(4);
      else {
        expect(got.ttl).toBeLessThanOrEqual(4);
        expect(got.ttl).toBeGreaterThanOrEqual(1);
      }
    });

    scenario(
      factory,
      'expiry deletes the key and yields an Expired event to a waiter',
      async (t) => {
        const set = await t.client.set(t.key('t'), 'v', { ttl: 1 });
        const waiting = t.client.wait(t.key('t'), { index: set.etcdIndex + 1, timeout: expiryBound });
        await t.backend.advance(1600);
        const event = await waiting;
        expect(event).toBeInstanceOf(Expired);
        expect(event.action).toBe('expire');
        expect(event.key).toBe(t.key('t'));
        expect(event.value).toBeUndefined();
        expect(event.createdIndex).toBe(set.createdIndex);
        t.expectIndexAfter(event.modifiedIndex, set.etcdIndex);
        expect(event.prevNode).toMatchObject({
          key: t.key('t'),
          value: 'v',
          modifiedIndex: set.modifiedIndex,
        });
        const error = await rejection(t.client.get(t.key('t')));
        expectEtcdError(error, KeyNotFound, { errorCode: 100, message: 'Key not found', cause: t.key('t') });
        const history = await t.client.wait(t.key('t'), { index: event.modifiedIndex as number });
        expect(history).toBeInstanceOf(Expired);
      },
      expiryBound + 5000,
    );

    scenario(
      factory,
      'a directory ttl takes its subtree',
      async (t) => {
        const dir = await t.client.set(t.key('d'), { dir: true, ttl: 1 });
        expect(dir.node).toBeInstanceOf(Directory);
        expect(dir.ttl).toBe(1);
        const deep = await t.client.set(t.key('d/a/b'), 'deep');
        const waiting = t.client.wait(t.key('d/a/b'), { index: deep.etcdIndex + 1, timeout: expiryBound });
        await t.backend.advance(1600);
        const event = await waiting;
        expect(event).toBeInstanceOf(Expired);
        expect(event.key).toBe(t.key('d'));
        expect(event.node.dir).toBe(true);
        await expect(t.client.get(t.key('d/a/b'))).rejects.toBeInstanceOf(KeyNotFound);
        await expect(t.client.get(t.key('d'))).rejects.toBeInstanceOf(KeyNotFound);
      },
      expiryBound + 5000,
    );

    scenario(
      factory,
      "a directory's ttl is changed and removed by update; the stored dir keeps its modifiedIndex",
      async (t) => {
        const dir = await t.client.set(t.key('dt'), { dir: true, ttl: 100 });
        const changed = await t.client.update(t.key('dt'), { dir: true, ttl: 200 });
        expect(changed).toBeInstanceOf(Updated);
        expect(changed.ttl).toBe(200);
        t.expectIndexAfter(changed.modifiedIndex, dir.etcdIndex);
        const got = await t.client.get(t.key('dt'));
        expect(got.ttl).toBeGreaterThan(150);
        expect(got.modifiedIndex).toBe(dir.modifiedIndex);
        expect(got.createdIndex).toBe(dir.createdIndex);
        const permanent = await t.client.update(t.key('dt'), { dir: true });
        expect(permanent.ttl).toBeUndefined();
        const after = await t.client.get(t.key('dt'));
        expect(after.ttl).toBeUndefined();
        expect(after.expiration).toBeUndefined();
        expect(after.modifiedIndex).toBe(dir.modifiedIndex);
      },
    );

    scenario(
      factory,
      "a directory's ttl update or refresh carries what it holds to the new expiration",
      async (t) => {
        await t.client.set(t.key('d'), { dir: true, ttl: 1 });
        const a = await t.client.set(t.key('d/a'), 'va');
        const deep = await t.client.set(t.key('d/n/b'), 'vb');
        const own = await t.client.set(t.key('d/own'), 'vo', { ttl: 100 });
        await t.client.set(t.key('r'), { dir: true, ttl: 1 });
        await t.client.set(t.key('r/x'), 'vx');
        const extended = await t.client.update(t.key('d'), { dir: true, ttl: 100 });
        expect(extended.ttl).toBe(100);
        const refreshed = await t.client.update(t.key('r'), { dir: true, refresh: true, ttl: 100 });
        expect(refreshed.ttl).toBe(100);
        // Past the old expiration (etcd without v2 keeps a lease at least 2 s).
        await t.backend.advance(3000);
        const got = await t.client.get(t.key('d'), { recursive: true });
        expect(got.ttl).toBeGreaterThan(90);
        // v2 lists in no particular order.
        const nodes = [...((got.node as Directory).nodes ?? [])].sort((x, y) => (x.key < y.key ? -1 : 1));
        expect(nodes.map((n) => n.key)).toEqual([t.key('d/a'), t.key('d/n'), t.key('d/own')]);
        expect(nodes[0]).toMatchObject({
          value: 'va',
          modifiedIndex: a.modifiedIndex,
          createdIndex: a.createdIndex,
        });
        expect(nodes[0]?.ttl).toBeUndefined();
        expect((nodes[1] as Directory).nodes).toMatchObject([
          { key: t.key('d/n/b'), value: 'vb', modifiedIndex: deep.modifiedIndex },
        ]);
        expect(nodes[2]?.expiration?.getTime()).toBe(own.expiration?.getTime());
        expect((await t.client.get(t.key('r/x'))).value).toBe('vx');
        // Without a ttl the directory and what it holds are permanent; a node's own ttl stays.
        await t.client.update(t.key('d'), { dir: true });
        const permanent = await t.client.get(t.key('d/a'));
        expect(permanent.ttl).toBeUndefined();
        expect(permanent.modifiedIndex).toBe(a.modifiedIndex);
        expect((await t.client.get(t.key('d/own'))).expiration?.getTime()).toBe(own.expiration?.getTime());
      },
      expiryBound + 5000,
    );

    scenario(
      factory,
      'a shortened directory ttl takes a node whose own ttl ends later',
      async (t) => {
        await t.client.set(t.key('d'), { dir: true, ttl: 100 });
        const child = await t.client.set(t.key('d/c'), 'v', { ttl: 100 });
        const shortened = await t.client.update(t.key('d'), { dir: true, ttl: 1 });
        t.expectIndexAfter(shortened.etcdIndex, child.etcdIndex);
        const waiting = t.client.wait(t.key('d/c'), { index: shortened.etcdIndex + 1, timeout: expiryBound });
        await t.backend.advance(3000);
        const event = await waiting;
        expect(event).toBeInstanceOf(Expired);
        expect(event.key).toBe(t.key('d'));
        await expect(t.client.get(t.key('d/c'))).rejects.toBeInstanceOf(KeyNotFound);
      },
      expiryBound + 5000,
    );

    scenario(factory, 'an update without ttl makes the key permanent', async (t) => {
      await t.client.set(t.key('t'), 'v', { ttl: 100 });
      const updated = await t.client.update(t.key('t'), 'w');
      expect(updated).toBeInstanceOf(Updated);
      expect(updated.ttl).toBeUndefined();
      expect(updated.prevNode?.ttl).toBeGreaterThan(90);
      const got = await t.client.get(t.key('t'));
      expect(got.ttl).toBeUndefined();
      expect(got.expiration).toBeUndefined();
    });

    scenario(factory, 'refresh resets the ttl, keeps the value and does not wake a waiter', async (t) => {
      const set = await t.client.set(t.key('r'), 'keep', { ttl: 100 });
      // From the next index, so the wait cannot miss the later set however late it reaches the server.
      const waiting = t.client.wait(t.key('r'), { index: set.etcdIndex + 1, timeout: 10_000 });
      const refreshed = await t.client.refresh(t.key('r'), 200);
      expect(refreshed.constructor).toBe(SetResult);
      expect(refreshed.action).toBe('set');
      expect(refreshed.value).toBe('keep');
      expect(refreshed.ttl).toBe(200);
      t.expectIndexAfter(refreshed.modifiedIndex, set.etcdIndex);
      expect(refreshed.createdIndex).toBe(refreshed.modifiedIndex);
      expect(refreshed.prevNode).toMatchObject({ value: 'keep', modifiedIndex: set.modifiedIndex });
      const after = await t.client.set(t.key('r'), 'after');
      const event = await waiting;
      expect(event.action).toBe('set');
      expect(event.value).toBe('after');
      expect(event.modifiedIndex).toBe(after.modifiedIndex);
      const history = await t.client.wait(t.key('r'), { index: refreshed.modifiedIndex as number });
      expect(history.modifiedIndex).toBe(after.modifiedIndex);
    });

    scenario(factory, 'refresh with conditions, with prevExist, and its errors', async (t) => {
      const set = await t.client.set(t.key('r'), 'v', { ttl: 100 });
      const cas = await t.client.refresh(t.key('r'), 50, { prevValue: 'v' });
      expect(cas).toBeInstanceOf(ComparedThenSwapped);
      expect(cas.value).toBe('v');
      expect(cas.createdIndex).toBe(set.createdIndex);
      const wrong = await rejection(t.client.refresh(t.key('r'), 50, { prevValue: 'w' }));
      expectEtcdError(wrong, TestFailed, { errorCode: 101, message: 'Compare failed', cause: '[w != v]' });
      const update = await t.client.update(t.key('r'), { refresh: true, ttl: 60 });
      expect(update).toBeInstanceOf(Updated);
      expect(update.value).toBe('v');
      expect(update.ttl).toBe(60);
      const missing = await rejection(t.client.refresh(t.key('none'), 5));
      expectEtcdError(missing, KeyNotFound, {
        errorCode: 100,
        message: 'Key not found',
        cause: t.key('none'),
      });
      const withValue = await rejection(t.client.set(t.key('r'), 'v', { refresh: true, ttl: 5 }));
      expectEtcdError(withValue, RefreshValue, {
        errorCode: 211,
        message: 'Value provided on refresh',
        cause: 'A value was provided on a refresh',
        index: 0,
      });
      const noTtl = await rejection(t.client.set(t.key('r'), { refresh: true }));
      expectEtcdError(noTtl, RefreshTTLRequired, {
        errorCode: 212,
        message: 'A TTL must be provided on refresh',
        cause: 'No TTL value set',
        index: 0,
      });
    });
  });
}

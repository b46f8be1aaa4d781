import { Deleted, encodeGet, SetResult, TimedOut, Updated } from '@etc/client';
import { describe, expect } from 'vitest';
import type { BackendFactory } from '../backend.js';
import { rejection, scenario } from './context.js';

/** Waits: from history, live, recursive, with a timeout, aborted, and their `etcdIndex`. */
export function waitScenarios(factory: BackendFactory): void {
  describe('waits', () => {
    scenario(factory, 'a wait from a past index answers from history', async (t) => {
      const one = await t.client.set(t.key('w'), 'one');
      const two = await t.client.update(t.key('w'), 'two');
      const first = await t.client.wait(t.key('w'), { index: one.modifiedIndex as number });
      expect(first.constructor).toBe(SetResult);
      expect(first.value).toBe('one');
      expect(first.modifiedIndex).toBe(one.modifiedIndex);
      t.expectIndexAtLeast(first.etcdIndex, two.etcdIndex);
      const second = await t.client.wait(t.key('w'), { index: (one.modifiedIndex as number) + 1 });
      expect(second).toBeInstanceOf(Updated);
      expect(second.value).toBe('two');
      expect(second.prevNode).toMatchObject({ value: 'one' });
      const raw = await t.backend.raw(
        encodeGet({ key: t.key('w'), wait: true, waitIndex: one.modifiedIndex }),
      );
      expect(raw.status).toBe(200);
      expect(raw.headers['x-etcd-index']).toBe(String(first.etcdIndex));
      expect(JSON.parse(raw.body).node.value).toBe('one');
    });

    scenario(factory, 'a recursive wait sees changes below the key', async (t) => {
      const base = await t.client.set(t.key('r/x'), '0');
      const child = await t.client.set(t.key('r/a/b'), 'child');
      const event = await t.client.wait(t.key('r'), { recursive: true, index: base.etcdIndex + 1 });
      expect(event.key).toBe(t.key('r/a/b'));
      expect(event.modifiedIndex).toBe(child.modifiedIndex);
      const plain = await t.client.wait(t.key('r/a/b'), { index: base.etcdIndex + 1 });
      expect(plain.modifiedIndex).toBe(child.modifiedIndex);
    });

    scenario(
      factory,
      'a live wait resolves with the next change; its etcdIndex is when it started',
      async (t) => {
        const start = await t.client.set(t.key('live'), 'before');
        const waiting = t.client.wait(t.key('live'), { index: start.etcdIndex + 1, timeout: 10_000 });
        const write = await t.client.set(t.key('live'), 'after');
        const event = await waiting;
        expect(event.value).toBe('after');
        expect(event.modifiedIndex).toBe(write.modifiedIndex);
        expect(event.prevNode).toMatchObject({ value: 'before' });
        expect(event.etcdIndex).toBeGreaterThanOrEqual(start.etcdIndex);
        expect(event.etcdIndex).toBeLessThanOrEqual(write.etcdIndex);
      },
    );

    scenario(factory, 'deleting a directory wakes a waiter on a key inside it', async (t) => {
      const child = await t.client.set(t.key('d/a'), '1');
      const waiting = t.client.wait(t.key('d/a'), { index: child.etcdIndex + 1, timeout: 10_000 });
      const deleted = await t.client.delete(t.key('d'), { recursive: true });
      const event = await waiting;
      expect(event).toBeInstanceOf(Deleted);
      expect(event.key).toBe(t.key('d'));
      expect(event.node.dir).toBe(true);
      expect(event.modifiedIndex).toBe(deleted.modifiedIndex);
    });

    scenario(factory, 'a wait whose timeout passes rejects with TimedOut', async (t) => {
      const waiting = rejection(t.client.wait(t.key('never'), { timeout: 300 }));
      await t.backend.advance(400);
      const error = await waiting;
      expect(error).toBeInstanceOf(TimedOut);
    });

    scenario(factory, 'an aborted wait rejects with the signal reason', async (t) => {
      const controller = new AbortController();
      const waiting = rejection(t.client.wait(t.key('never'), { signal: controller.signal }));
      const reason = new Error('stop waiting');
      controller.abort(reason);
      expect(await waiting).toBe(reason);
      const aborted = AbortSignal.abort(new Error('already'));
      const early = await rejection(t.client.wait(t.key('never'), { signal: aborted }));
      expect(early).toBe(aborted.reason);
      expect((await t.client.set(t.key('after'), 'ok')).value).toBe('ok');
    });
  });
}

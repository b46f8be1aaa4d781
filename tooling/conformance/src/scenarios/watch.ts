import { type Client, Directory, type EtcdResult, Got, Node, Value } from '@etc/client';
import { describe, expect } from 'vitest';
import type { BackendFactory } from '../backend.js';
import { scenario } from './context.js';

/** Collects `count` events from a watch (bounded by `ms`), then ends it with `break`. */
async function take(events: AsyncIterable<EtcdResult>, count: number, ms = 10_000): Promise<EtcdResult[]> {
  const seen: EtcdResult[] = [];
  const timer = new Promise<never>((_, reject) => {
    const t = setTimeout(
      () => reject(new Error(`only ${seen.length} of ${count} events within ${ms} ms`)),
      ms,
    );
    t.unref?.();
  });
  const collect = (async () => {
    for await (const event of events) {
      seen.push(event);
      if (seen.length === count) break;
    }
    return seen;
  })();
  return Promise.race([collect, timer]);
}

/** Pushes the first write out of the 1000-event history with writes to other keys. */
async function flood(client: Client, key: (name: string) => string): Promise<void> {
  const lanes = 16;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let i = lane; i < 1010; i += lanes) await client.set(key(`noise${lane}`), String(i));
    }),
  );
}

/** `watch()`: every change in order with no gap, recursive watches, sharing, and the 401 snapshot. */
export function watchScenarios(factory: BackendFactory): void {
  describe('watch', () => {
    scenario(factory, 'yields every change of a key from an index, in order', async (t) => {
      const writes = [
        await t.client.set(t.key('k'), 'a'),
        await t.client.update(t.key('k'), 'b'),
        await t.client.set(t.key('k'), 'c', { prevValue: 'b' }),
        await t.client.delete(t.key('k')),
      ];
      await t.client.set(t.key('other'), 'not watched');
      const events = await take(t.client.watch(t.key('k'), { index: writes[0]!.index! }), 4);
      expect(events.map((e) => [e.action, e.index, e.value])).toEqual(
        writes.map((w) => [w.action, w.index, w.value]),
      );
    });

    scenario(factory, 'follows live changes without gaps while the consumer iterates', async (t) => {
      const start = await t.client.set(t.key('live'), '0');
      const watch = t.client.watch(t.key('live'), { index: start.index! + 1 });
      const collecting = take(watch, 20);
      const written: number[] = [];
      for (let i = 1; i <= 20; i++) written.push((await t.client.set(t.key('live'), String(i))).index!);
      const events = await collecting;
      expect(events.map((e) => e.index)).toEqual(written);
      expect(events.map((e) => e.value)).toEqual(written.map((_, i) => String(i + 1)));
    });

    scenario(
      factory,
      'a recursive watch sees the subtree, in-order keys and a directory delete',
      async (t) => {
        const first = await t.client.set(t.key('tree/a'), '1');
        const nested = await t.client.set(t.key('tree/sub/b'), '2');
        const appended = await t.client.append(t.key('tree/queue'), 'job');
        await t.client.set(t.key('outside'), 'x');
        const removed = await t.client.delete(t.key('tree'), { recursive: true });
        const events = await take(t.client.watch(t.key('tree'), { index: first.index!, recursive: true }), 4);
        expect(events.map((e) => [e.action, e.key, e.index])).toEqual([
          ['set', t.key('tree/a'), first.index],
          ['set', t.key('tree/sub/b'), nested.index],
          ['create', appended.key, appended.index],
          ['delete', t.key('tree'), removed.index],
        ]);
        expect(events[3]!.node).toBeInstanceOf(Directory);
      },
    );

    scenario(factory, 'watches of one key and below a recursive watch all see the same events', async (t) => {
      const start = await t.client.set(t.key('shared/k'), '0');
      const from = start.index! + 1;
      const parent = take(t.client.watch(t.key('shared'), { index: from, recursive: true }), 3);
      const children = Array.from({ length: 50 }, () =>
        take(t.client.watch(t.key('shared/k'), { index: from }), 2),
      );
      const sibling = take(t.client.watch(t.key('shared/j'), { index: from }), 1);
      const one = await t.client.set(t.key('shared/k'), '1');
      const other = await t.client.set(t.key('shared/j'), 'j');
      const two = await t.client.set(t.key('shared/k'), '2');
      expect((await parent).map((e) => e.index)).toEqual([one.index, other.index, two.index]);
      for (const child of await Promise.all(children)) expect(child.map((e) => e.value)).toEqual(['1', '2']);
      expect((await sibling).map((e) => e.index)).toEqual([other.index]);
    });

    scenario(
      factory,
      'a watch served by a recursive watch above it gets what its own wait gets from history, hidden keys included',
      async (t) => {
        const hidden = await t.client.set(t.key('hs/x/_h'), 'hidden');
        const plain = await t.client.set(t.key('hs/x/y'), 'plain');
        const from = hidden.index!;
        // What waits of its own answer from the history: the hidden key first, then the next change.
        const own = await t.client.wait(t.key('hs/x'), { recursive: true, index: from });
        const ownNext = await t.client.wait(t.key('hs/x'), { recursive: true, index: from + 1 });
        expect([own.key, ownNext.key]).toEqual([t.key('hs/x/_h'), t.key('hs/x/y')]);
        const parent = take(t.client.watch(t.key('hs'), { index: from, recursive: true }), 2);
        const below = take(t.client.watch(t.key('hs/x'), { index: from, recursive: true }), 2);
        expect((await parent).map((e) => e.index)).toEqual([hidden.index, plain.index]);
        expect((await below).map((e) => [e.key, e.index])).toEqual([
          [t.key('hs/x/_h'), hidden.index],
          [t.key('hs/x/y'), plain.index],
        ]);
      },
    );

    scenario(
      factory,
      'when the history is cleared it yields a snapshot Got, then the changes after it',
      async (t) => {
        const first = await t.client.set(t.key('h/k'), 'v0');
        await t.client.set(t.key('h/k'), 'v1');
        await flood(t.client, t.key);
        const watch = t.client.watch(t.key('h/k'), { index: first.index! });
        const iterator = watch[Symbol.asyncIterator]();
        const snapshot = (await iterator.next()).value as EtcdResult;
        expect(snapshot).toBeInstanceOf(Got);
        expect(snapshot.node).toBeInstanceOf(Value);
        expect(snapshot.value).toBe('v1');
        const next = iterator.next();
        const after = await t.client.set(t.key('h/k'), 'v2');
        const event = (await next).value as EtcdResult;
        expect(event.index).toBe(after.index);
        expect(event.index!).toBeGreaterThan(snapshot.etcdIndex);
        await iterator.return?.();

        const missing = t.client.watch(t.key('h/absent'), { index: first.index! })[Symbol.asyncIterator]();
        const absent = (await missing.next()).value as EtcdResult;
        expect(absent).toBeInstanceOf(Got);
        expect(absent.node.constructor).toBe(Node);
        expect(absent.key).toBe(t.key('h/absent'));
        expect(absent.value).toBeUndefined();
        const created = await t.client.set(t.key('h/absent'), 'now');
        expect(((await missing.next()).value as EtcdResult).index).toBe(created.index);
        await missing.return?.();
      },
      60_000,
    );

    scenario(factory, 'ends cleanly on abort and on close', async (t) => {
      const controller = new AbortController();
      const start = await t.client.set(t.key('end'), '0');
      const iterator = t.client
        .watch(t.key('end'), { index: start.index! + 1, signal: controller.signal })
        [Symbol.asyncIterator]();
      const pending = iterator.next();
      controller.abort();
      expect(await pending).toEqual({ value: undefined, done: true });
      const other = t.backend.client();
      const closing = other.watch(t.key('end'), { index: start.index! + 1 })[Symbol.asyncIterator]();
      const waiting = closing.next();
      await other.close();
      expect(await waiting).toEqual({ value: undefined, done: true });
    });
  });
}

import { getEventListeners } from 'node:events';
import { MockStore, mockEtcd } from '@etc/mock';
import { describe, expect, it } from 'vitest';
import { campaign } from './campaign.js';
import { keepNode } from './keep-node.js';
import { type Lock, lock } from './lock.js';
import { observeLeader } from './observe-leader.js';
import { sleep } from './timing.js';

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('one AbortSignal shared by many calls, watches and helpers', () => {
  it('carries at most two listeners and never makes Node warn MaxListenersExceededWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    const store = new MockStore();
    const client = mockEtcd({ store });
    const controller = new AbortController();
    const { signal } = controller;
    const listeners = () => getEventListeners(signal, 'abort').length;
    try {
      const watches = Array.from({ length: 50 }, (_, i) => client.watch(`/w/${i}`, { signal }));
      const watching = watches.map((watch) => watch.next());
      const calls = Array.from({ length: 50 }, (_, i) =>
        client.wait(`/c/${i}`, { signal }).catch((error: unknown) => error),
      );
      const kept = Array.from({ length: 12 }, (_, i) =>
        keepNode(client, `/svc/${i}`, 'v', { ttl: 5, signal }),
      );
      await Promise.all(kept.map((node) => node.ready));
      const holder = await lock(client, '/locks/shared', { ttl: 5, signal });
      const waiters = Array.from({ length: 12 }, () =>
        lock(client, '/locks/shared', { ttl: 5, signal }).catch((error: unknown) => error),
      );
      const leader = await campaign(client, '/election/shared', 'a', { ttl: 5, signal });
      const candidates = Array.from({ length: 12 }, (_, i) =>
        campaign(client, '/election/shared', `c${i}`, { ttl: 5, signal }).catch((error: unknown) => error),
      );
      const observers = Array.from({ length: 12 }, () =>
        observeLeader(client, '/election/shared', { signal }),
      );
      for (const observer of observers) expect(await observer.next()).toEqual({ value: 'a', done: false });
      const sleeping = Array.from({ length: 12 }, () => sleep(60_000, signal));
      // Every waiter has queued its key: 1 holder + 12 waiters, 1 leader + 12 candidates.
      for (;;) {
        const queues = await Promise.all([
          client.get('/locks/shared').then((got) => got.nodes?.length ?? 0),
          client.get('/election/shared').then((got) => got.nodes?.length ?? 0),
        ]);
        if (queues[0] === 13 && queues[1] === 13) break;
        await flush();
      }
      expect(listeners()).toBeGreaterThanOrEqual(1);
      expect(listeners()).toBeLessThanOrEqual(2);

      controller.abort();
      for (const next of watching) expect(await next).toEqual({ value: undefined, done: true });
      for (const call of calls) expect(await call).toMatchObject({ name: 'AbortError' });
      for (const waiter of waiters) expect(await waiter).toMatchObject({ name: 'AbortError' });
      for (const candidate of candidates) expect(await candidate).toMatchObject({ name: 'AbortError' });
      await Promise.all(sleeping);
      for (const observer of observers)
        expect(await observer.next()).toEqual({ value: undefined, done: true });
      await Promise.all(kept.map((node) => node.stop()));
      expect(holder.signal.aborted).toBe(true);
      expect(leader.signal.aborted).toBe(true);
      await Promise.all([(holder as Lock).release(), leader.resign()]);
      expect(listeners()).toBe(0);
      await flush();
    } finally {
      process.off('warning', onWarning);
      await client.close();
    }
    expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([]);
  });
});

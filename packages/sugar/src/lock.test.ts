import { Client, ClientClosed, type Directory, KeyNotFound, OutcomeUnknown } from '@etc/client';
import { MockAdapter, MockStore, mockEtcd } from '@etc/mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KeepEvent } from './keep-event.js';
import { type Lock, lock } from './lock.js';
import { FaultyAdapter, recorder } from './test-helpers.js';

const tick = (ms = 10) => vi.advanceTimersByTimeAsync(ms);

async function queued(client: Client, dir: string): Promise<string[]> {
  try {
    return ((await client.get(dir, { sorted: true })).node as Directory).nodes.map((node) => node.key);
  } catch (error) {
    if (error instanceof KeyNotFound) return [];
    throw error;
  }
}

describe('lock on the mock', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('grants the lock in FIFO order, to one holder at a time', async () => {
    const store = new MockStore();
    const order: number[] = [];
    let holders = 0;
    let most = 0;
    const workers = [] as Promise<void>[];
    for (let i = 0; i < 5; i++) {
      const client = mockEtcd({ store });
      workers.push(
        lock(client, '/locks/job', { ttl: 5, value: `worker-${i}` }).then(async (held) => {
          holders++;
          most = Math.max(most, holders);
          order.push(i);
          await new Promise((resolve) => setTimeout(resolve, 2_000));
          holders--;
          await held.release();
        }),
      );
      await tick();
    }
    await tick(20_000);
    await Promise.all(workers);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(1);
    expect(await queued(mockEtcd({ store }), '/locks/job')).toEqual([]);
  });

  it('removes a queued key when its wait is abandoned, and the queue goes on without it', async () => {
    const store = new MockStore();
    const watcher = mockEtcd({ store });
    const first = await lock(mockEtcd({ store }), '/locks/x', { ttl: 5 });
    const controller = new AbortController();
    const abandoned = lock(mockEtcd({ store }), '/locks/x', { ttl: 5, signal: controller.signal }).catch(
      (error: unknown) => error,
    );
    await tick();
    let third: Lock | undefined;
    const waiting = lock(mockEtcd({ store }), '/locks/x', { ttl: 5 }).then((held) => {
      third = held;
    });
    await tick();
    const [, secondKey] = await queued(watcher, '/locks/x');
    expect(await queued(watcher, '/locks/x')).toHaveLength(3);
    controller.abort();
    await tick();
    expect((await abandoned) as Error).toMatchObject({ name: 'AbortError' });
    expect(await queued(watcher, '/locks/x')).not.toContain(secondKey);
    expect(third).toBeUndefined();
    await first.release();
    await tick();
    await waiting;
    expect(third?.held).toBe(true);
    await third?.release();
  });

  it('releases with await using, and keeps the queue alive across a cleared history', async () => {
    const store = new MockStore();
    const faulty = new FaultyAdapter(new MockAdapter({ store }));
    faulty.clearHistory = 1;
    let second: Lock | undefined;
    {
      await using held = await lock(mockEtcd({ store }), '/locks/y', { ttl: 5 });
      expect(held.held).toBe(true);
      void lock(new Client(faulty), '/locks/y', { ttl: 5 }).then((next) => {
        second = next;
      });
      await tick(8_000);
      expect(second).toBeUndefined();
      expect(faulty.clearHistory).toBe(0);
    }
    await tick();
    expect(second?.held).toBe(true);
    expect(second?.createdIndex).toBeGreaterThan(0);
    await second?.release();
  });

  it('never adopts an append whose answer was lost: the orphan expires with its TTL, then the lock is ours', async () => {
    const store = new MockStore();
    const watcher = mockEtcd({ store });
    const faulty = new FaultyAdapter(new MockAdapter({ store }));
    faulty.loseAppends = 1;
    const log = recorder<KeepEvent>();
    let held: Lock | undefined;
    const locking = lock(new Client(faulty), '/locks/u', { ttl: 3, value: 'me', onEvent: log.onEvent }).then(
      (lock) => {
        held = lock;
      },
    );
    await tick();
    const orphan = faulty.lostAppends[0]?.key as string;
    expect(orphan).toBeDefined();
    expect(log.events[0]).toMatchObject({ type: 'error', error: expect.any(OutcomeUnknown) });
    // Joined again with a new key, behind the orphan that nobody refreshes.
    await tick(500);
    const keys = await queued(watcher, '/locks/u');
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(orphan);
    // Another process, queued after us, waits its turn.
    let other: Lock | undefined;
    void lock(mockEtcd({ store }), '/locks/u', { ttl: 3 }).then((lock) => {
      other = lock;
    });
    await tick(2_000);
    expect(held).toBeUndefined();
    await tick(1_500);
    await locking;
    expect(held?.held).toBe(true);
    expect(held?.key).toBe(keys[1]);
    expect(held?.key).not.toBe(orphan);
    expect(await queued(watcher, '/locks/u')).not.toContain(orphan);
    expect(other).toBeUndefined();
    await held?.release();
    await tick();
    expect(other?.held).toBe(true);
    await other?.release();
  });

  it('rejects with ClientClosed, leaving nothing running, when its client is closed while it waits', async () => {
    const store = new MockStore();
    const first = await lock(mockEtcd({ store }), '/locks/c', { ttl: 3 });
    const client = mockEtcd({ store });
    const waiting = lock(client, '/locks/c', { ttl: 3 }).catch((error: unknown) => error);
    await tick();
    await client.close();
    await tick(10_000);
    expect(await waiting).toBeInstanceOf(ClientClosed);
    await first.release();
    await tick();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('checks its arguments', async () => {
    const client = mockEtcd();
    await expect(lock(client, '/l', { ttl: -1 })).rejects.toThrow(TypeError);
    await expect(lock(client, '/l', { ttl: 2, value: 3 as unknown as string })).rejects.toThrow(TypeError);
  });
});

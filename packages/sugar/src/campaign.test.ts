import { Client, type Directory, KeyNotFound } from '@etc/client';
import { MockAdapter, MockStore } from '@etc/mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { campaign, type Leadership } from './campaign.js';
import { LeaseLost } from './lease-lost.js';
import { observeLeader } from './observe-leader.js';
import { FaultyAdapter } from './test-helpers.js';

const tick = (ms = 10) => vi.advanceTimersByTimeAsync(ms);

function cluster() {
  const store = new MockStore();
  const make = () => {
    const faulty = new FaultyAdapter(new MockAdapter({ store }));
    return { faulty, client: new Client(faulty) };
  };
  return { store, make };
}

async function keysOf(client: Client, dir: string): Promise<string[]> {
  try {
    const got = await client.get(dir, { sorted: true });
    return (got.node as Directory).nodes.map((node) => node.key);
  } catch (error) {
    if (error instanceof KeyNotFound) return [];
    throw error;
  }
}

/** Runs `campaign` and records when it resolved and when its signal aborted (fake clock). */
function candidate(
  client: Client,
  name: string,
  log: string[],
  options: { ttl: number; signal?: AbortSignal },
) {
  const record: { leadership?: Leadership; acquiredAt?: number; lostAt?: number } = {};
  const won = campaign(client, '/election', name, options).then((leadership) => {
    record.leadership = leadership;
    record.acquiredAt = Date.now();
    log.push(`${name} leads`);
    leadership.signal.addEventListener('abort', () => {
      record.lostAt = Date.now();
      log.push(`${name} lost (${(leadership.signal.reason as LeaseLost).reason})`);
    });
    return leadership;
  });
  return { record, won };
}

describe('campaign and observeLeader on the mock', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('hands leadership over in the order candidates joined, and observers see each leader', async () => {
    const { make } = cluster();
    const watcher = make().client;
    const seen: (string | undefined)[] = [];
    const stop = new AbortController();
    const observing = (async () => {
      for await (const leader of observeLeader(watcher, '/election', { signal: stop.signal }))
        seen.push(leader);
    })();
    await tick();
    const log: string[] = [];
    const a = candidate(make().client, 'a', log, { ttl: 5 });
    await tick();
    const b = candidate(make().client, 'b', log, { ttl: 5 });
    await tick();
    const c = candidate(make().client, 'c', log, { ttl: 5 });
    await tick(12_000);
    expect(log).toEqual(['a leads']);
    expect((await a.won).held).toBe(true);
    await (await a.won).resign();
    await tick();
    expect(log).toEqual(['a leads', 'a lost (released)', 'b leads']);
    await (await b.won).resign();
    await tick();
    await (await c.won).resign();
    await tick();
    expect(log).toEqual([
      'a leads',
      'a lost (released)',
      'b leads',
      'b lost (released)',
      'c leads',
      'c lost (released)',
    ]);
    expect(seen).toEqual([undefined, 'a', 'b', 'c', undefined]);
    expect(await keysOf(watcher, '/election')).toEqual([]);
    const tokens = [a, b, c].map((x) => x.record.leadership?.createdIndex ?? 0);
    expect(tokens).toEqual([...tokens].sort((x, y) => x - y));
    stop.abort();
    await observing;
  });

  it('aborts the signal when the leader key is deleted, and the next candidate takes over', async () => {
    const { make } = cluster();
    const admin = make().client;
    const log: string[] = [];
    const a = candidate(make().client, 'a', log, { ttl: 5 });
    await tick();
    const b = candidate(make().client, 'b', log, { ttl: 5 });
    const leader = await a.won;
    await admin.delete(leader.key);
    await tick();
    expect(leader.signal.reason).toBeInstanceOf(LeaseLost);
    expect(log).toEqual(['a leads', 'a lost (gone)', 'b leads']);
    await (await b.won).resign();
  });

  it('gives up leadership before its key can expire when refreshes fail, never overlapping the next leader', async () => {
    const { make } = cluster();
    const log: string[] = [];
    const cut = make();
    const a = candidate(cut.client, 'a', log, { ttl: 3 });
    await tick();
    const b = candidate(make().client, 'b', log, { ttl: 3 });
    const leader = await a.won;
    cut.faulty.down = true;
    await tick(10_000);
    expect(log).toEqual(['a leads', 'a lost (expired)', 'b leads']);
    expect(a.record.lostAt).toBeLessThanOrEqual(b.record.acquiredAt ?? 0);
    expect(leader.held).toBe(false);
    await (await b.won).resign();
  });

  it('rejoins at the end of the queue when its own key expires while waiting', async () => {
    const { make } = cluster();
    const watcher = make().client;
    const log: string[] = [];
    const a = candidate(make().client, 'a', log, { ttl: 3 });
    await tick();
    const cut = make();
    const b = candidate(cut.client, 'b', log, { ttl: 3 });
    await tick();
    const [, firstKey] = await keysOf(watcher, '/election');
    cut.faulty.down = true;
    await tick(6_000);
    expect(await keysOf(watcher, '/election')).toHaveLength(1);
    cut.faulty.down = false;
    await tick(5_000);
    const keys = await keysOf(watcher, '/election');
    expect(keys).toHaveLength(2);
    expect((keys[1] ?? '') > (firstKey ?? '')).toBe(true);
    await (await a.won).resign();
    await tick();
    expect(log).toEqual(['a leads', 'a lost (released)', 'b leads']);
    expect((await b.won).key).toBe(keys[1]);
    await (await b.won).resign();
  });

  it('stays correct when the history it waits on is cleared (401)', async () => {
    const { make } = cluster();
    const log: string[] = [];
    const a = candidate(make().client, 'a', log, { ttl: 5 });
    await tick();
    const cleared = make();
    cleared.faulty.clearHistory = 2;
    const b = candidate(cleared.client, 'b', log, { ttl: 5 });
    const observer = make();
    observer.faulty.clearHistory = 1;
    const seen: (string | undefined)[] = [];
    const stop = new AbortController();
    const observing = (async () => {
      for await (const leader of observeLeader(observer.client, '/election', { signal: stop.signal }))
        seen.push(leader);
    })();
    await tick(3_000);
    expect(log).toEqual(['a leads']);
    await (await a.won).resign();
    await tick(3_000);
    expect(log).toEqual(['a leads', 'a lost (released)', 'b leads']);
    expect(cleared.faulty.clearHistory).toBe(0);
    expect(observer.faulty.clearHistory).toBe(0);
    expect(seen).toEqual(['a', 'b']);
    await (await b.won).resign();
    stop.abort();
    await observing;
  });

  it('withdraws a waiting candidate on signal abort, removing its key', async () => {
    const { make } = cluster();
    const watcher = make().client;
    const log: string[] = [];
    const a = candidate(make().client, 'a', log, { ttl: 5 });
    await tick();
    const controller = new AbortController();
    const b = campaign(make().client, '/election', 'b', { ttl: 5, signal: controller.signal });
    const outcome = b.catch((error: unknown) => error);
    await tick();
    expect(await keysOf(watcher, '/election')).toHaveLength(2);
    controller.abort(new Error('shutting down'));
    await tick();
    expect(await outcome).toMatchObject({ message: 'shutting down' });
    expect(await keysOf(watcher, '/election')).toEqual([(await a.won).key]);
    await (await a.won).resign();
  });

  it('keeps a lost leadership lost when a refresh sent before the deadline succeeds after it', async () => {
    const { faulty, client } = cluster().make();
    const leadership = await campaign(client, '/e', 'a', { ttl: 3 });
    faulty.holdRefreshes = true;
    // The refresh sent at 1 s is held past the deadline (2.7 s), but lands before etcd's expiry (3 s).
    await tick(2_800);
    expect(faulty.held).toBe(1);
    expect(leadership.signal.aborted).toBe(true);
    faulty.release();
    await tick(0);
    await leadership.resign();
    expect(vi.getTimerCount()).toBe(0);
    expect(leadership.held).toBe(false);
  });

  it('ends a leadership at its deadline even when the wall clock is set back meanwhile', async () => {
    const { faulty, client } = cluster().make();
    const leadership = await campaign(client, '/e', 'a', { ttl: 3 });
    faulty.holdRefreshes = true;
    await tick(500);
    // An NTP step or a manual change: the wall clock jumps back 10 s, the monotonic one does not.
    vi.setSystemTime(Date.now() - 10_000);
    await tick(2_300);
    expect(leadership.signal.aborted).toBe(true);
    expect(leadership.held).toBe(false);
    faulty.release();
    await leadership.resign();
  });
});

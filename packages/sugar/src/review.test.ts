import { type Adapter, Client, type EtcdResult, type SetRequest } from '@etc/client';
import { MockAdapter, MockStore, mockEtcd } from '@etc/mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { campaign } from './campaign.js';
import { keepNode } from './keep-node.js';
import { observeLeader } from './observe-leader.js';

/** Wraps an adapter; while `hold` is set, refreshes stay in flight until `release()`. */
class HoldingAdapter implements Adapter {
  hold = false;
  private held: (() => void)[] = [];
  constructor(private readonly inner: Adapter) {}
  get url() {
    return this.inner.url;
  }
  get = (r: Parameters<Adapter['get']>[0]) => this.inner.get(r);
  append = (r: Parameters<Adapter['append']>[0]) => this.inner.append(r);
  delete = (r: Parameters<Adapter['delete']>[0]) => this.inner.delete(r);
  close = () => this.inner.close();
  get pending(): number {
    return this.held.length;
  }
  async set(request: SetRequest): Promise<EtcdResult> {
    if (this.hold && request.refresh) await new Promise<void>((resolve) => this.held.push(resolve));
    return this.inner.set(request);
  }
  release(): void {
    for (const resolve of this.held.splice(0)) resolve();
  }
}

const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

describe('sugar (review)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('leaves no timer behind when stopped while a refresh is in flight', async () => {
    const store = new MockStore();
    const holding = new HoldingAdapter(new MockAdapter({ store }));
    const client = new Client(holding);
    const other = mockEtcd({ store });
    const kept = keepNode(client, '/svc/a', 'v', { ttl: 3 });
    await tick();
    await kept.ready;
    holding.hold = true;
    await tick(1_000);
    expect(holding.pending).toBe(1);
    const stopped = kept.stop();
    holding.release();
    await tick();
    await stopped;
    expect(kept.state).toBe('stopped');
    await expect(other.get('/svc/a')).rejects.toMatchObject({ errorCode: 100 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps a lost leadership lost when a refresh sent before the deadline succeeds after it', async () => {
    const store = new MockStore();
    const holding = new HoldingAdapter(new MockAdapter({ store }));
    const client = new Client(holding);
    const leadership = await campaign(client, '/e', 'a', { ttl: 3 });
    holding.hold = true;
    // The refresh sent at 1 s is held past the deadline (2.7 s), but lands before etcd's expiry (3 s).
    await tick(2_800);
    expect(holding.pending).toBe(1);
    expect(leadership.signal.aborted).toBe(true);
    holding.release();
    await tick();
    await leadership.resign();
    expect(vi.getTimerCount()).toBe(0);
    expect(leadership.held).toBe(false);
  });

  it('observeLeader sees the election end when a directory above it is removed', async () => {
    const store = new MockStore();
    const client = mockEtcd({ store });
    await client.append('/app/e', 'leader');
    const seen: (string | undefined)[] = [];
    const controller = new AbortController();
    const observing = (async () => {
      for await (const leader of observeLeader(client, '/app/e', { signal: controller.signal })) {
        seen.push(leader);
      }
    })();
    await tick();
    await client.delete('/app', { recursive: true });
    await tick();
    controller.abort();
    await observing;
    expect(seen).toEqual(['leader', undefined]);
  });

  it('ends a leadership at its deadline even when the wall clock is set back meanwhile', async () => {
    const store = new MockStore();
    const holding = new HoldingAdapter(new MockAdapter({ store }));
    const client = new Client(holding);
    const leadership = await campaign(client, '/e', 'a', { ttl: 3 });
    holding.hold = true;
    await tick(500);
    // An NTP step or a manual change: the wall clock jumps back 10 s, the monotonic one does not.
    vi.setSystemTime(Date.now() - 10_000);
    await tick(2_300);
    expect(leadership.signal.aborted).toBe(true);
    expect(leadership.held).toBe(false);
    holding.release();
    await leadership.resign();
  });
});

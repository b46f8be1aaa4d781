import { Client, ClientClosed, KeyNotFound, type Value } from '@etc/client';
import { MockAdapter, MockStore, mockEtcd } from '@etc/mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KeepEvent } from './keep-event.js';
import { keepNode } from './keep-node.js';
import { LeaseLost } from './lease-lost.js';
import { FaultyAdapter, recorder } from './test-helpers.js';

function setup() {
  const store = new MockStore();
  const faulty = new FaultyAdapter(new MockAdapter({ store }));
  return { store, faulty, client: new Client(faulty), other: mockEtcd({ store }) };
}

const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

async function read(client: Client, key: string): Promise<Value | undefined> {
  try {
    return (await client.get(key)).node as Value;
  } catch (error) {
    if (error instanceof KeyNotFound) return undefined;
    throw error;
  }
}

describe('keepNode on the mock', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('creates the node with its TTL and refreshes it well before expiry without waking watchers', async () => {
    const { client, other } = setup();
    const log = recorder<KeepEvent>();
    const kept = keepNode(client, 'svc/a', 'http://a', { ttl: 3, onEvent: log.onEvent });
    await tick();
    const node = await kept.ready;
    expect(kept.state).toBe('kept');
    expect(node).toMatchObject({ key: '/svc/a', value: 'http://a', ttl: 3 });
    let woken = false;
    const wait = other.wait('/svc/a').then(() => {
      woken = true;
    });
    await tick(30_000);
    const now = await read(other, '/svc/a');
    expect(now?.createdIndex).toBe(node.createdIndex);
    expect(now?.ttl).toBe(3);
    expect(woken).toBe(false);
    expect(log.types()[0]).toBe('ready');
    expect(
      log
        .types()
        .slice(1)
        .every((type) => type === 'refreshed'),
    ).toBe(true);
    expect(log.types().length).toBeGreaterThanOrEqual(25);
    await kept.stop();
    await tick();
    await wait;
    expect(woken).toBe(true);
    expect(await read(other, '/svc/a')).toBeUndefined();
    expect(kept.state).toBe('stopped');
  });

  it('recreates the node when it is deleted, and says so', async () => {
    const { client, other } = setup();
    const log = recorder<KeepEvent>();
    const kept = keepNode(client, '/svc/b', 'v', { ttl: 3, onEvent: log.onEvent });
    await tick();
    const first = await kept.ready;
    await other.delete('/svc/b');
    await tick(1_500);
    const again = await read(other, '/svc/b');
    expect(again?.value).toBe('v');
    expect(again?.createdIndex).toBeGreaterThan(first.createdIndex ?? 0);
    expect(log.events).toContainEqual({ type: 'lost', reason: 'gone' });
    expect(log.types()).toContain('recreated');
    expect(kept.state).toBe('kept');
    expect(kept.node?.createdIndex).toBe(again?.createdIndex);
    await kept.stop();
  });

  it('retries network errors, reports expiry after the TTL, and recreates once etcd is back', async () => {
    const { client, faulty, other } = setup();
    const log = recorder<KeepEvent>();
    const kept = keepNode(client, '/svc/c', 'v', { ttl: 2, onEvent: log.onEvent });
    await tick();
    await kept.ready;
    faulty.down = true;
    await tick(1_500);
    expect(log.types()).toContain('error');
    expect(kept.state).toBe('kept');
    await tick(2_000);
    expect(kept.state).toBe('expired');
    expect(log.events).toContainEqual({ type: 'lost', reason: 'expired' });
    expect(await read(other, '/svc/c')).toBeUndefined();
    faulty.down = false;
    await tick(3_000);
    expect(kept.state).toBe('kept');
    expect(log.types()).toContain('recreated');
    expect((await read(other, '/svc/c'))?.value).toBe('v');
    await kept.stop();
  });

  it('never overwrites a node someone else took: it reports it and leaves it alone, even on stop', async () => {
    const { client, other } = setup();
    const log = recorder<KeepEvent>();
    const kept = keepNode(client, '/svc/d', 'mine', { ttl: 3, onEvent: log.onEvent });
    await tick();
    await kept.ready;
    const theirs = await other.set('/svc/d', 'theirs');
    await tick(5_000);
    expect(kept.state).toBe('taken');
    const lost = log.events.find((event) => event.type === 'lost');
    expect(lost).toMatchObject({ type: 'lost', reason: 'taken', node: { value: 'theirs' } });
    await kept.stop();
    expect(kept.state).toBe('taken');
    expect(await read(other, '/svc/d')).toMatchObject({ value: 'theirs', modifiedIndex: theirs.index });
  });

  it('does not resurrect over a node created by someone else after ours expired', async () => {
    const { client, faulty, other } = setup();
    const log = recorder<KeepEvent>();
    const kept = keepNode(client, '/svc/e', 'mine', { ttl: 2, onEvent: log.onEvent });
    await tick();
    await kept.ready;
    faulty.down = true;
    await tick(3_000);
    expect(await read(other, '/svc/e')).toBeUndefined();
    await other.create('/svc/e', 'successor', { ttl: 60 });
    faulty.down = false;
    await tick(3_000);
    expect(kept.state).toBe('taken');
    expect((await read(other, '/svc/e'))?.value).toBe('successor');
    await kept.stop();
    expect((await read(other, '/svc/e'))?.value).toBe('successor');
  });

  it('adopts an existing node with its value, and refuses one with another value', async () => {
    const { client, other } = setup();
    const previous = await other.set('/svc/f', 'v', { ttl: 5 });
    const adopted = keepNode(client, '/svc/f', 'v', { ttl: 3 });
    await tick();
    expect((await adopted.ready).createdIndex).toBe(previous.createdIndex);
    await adopted.stop();
    await other.set('/svc/g', 'someone', { ttl: 5 });
    const refused = keepNode(client, '/svc/g', 'v', { ttl: 3 });
    await tick();
    const error = await refused.ready.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeaseLost);
    expect((error as LeaseLost).reason).toBe('taken');
    expect(refused.state).toBe('taken');
    expect((await read(other, '/svc/g'))?.value).toBe('someone');
  });

  it('stops on signal abort and with await using, deleting only its own node', async () => {
    const { client, other } = setup();
    const controller = new AbortController();
    const kept = keepNode(client, '/svc/h', 'v', { ttl: 3, signal: controller.signal });
    await tick();
    await kept.ready;
    controller.abort();
    await tick();
    expect(kept.state).toBe('stopped');
    expect(await read(other, '/svc/h')).toBeUndefined();
    {
      await using scoped = keepNode(client, '/svc/i', 'v', { ttl: 3 });
      await tick();
      await scoped.ready;
      expect((await read(other, '/svc/i'))?.value).toBe('v');
    }
    expect(await read(other, '/svc/i')).toBeUndefined();
  });

  it('rejects ready when stopped first, and yields events to an iterator until stopped', async () => {
    const { client } = setup();
    const stopped = keepNode(client, '/svc/k', 'v', { ttl: 3, signal: AbortSignal.abort() });
    expect(await stopped.ready.catch((e: unknown) => e)).toMatchObject({ reason: 'released' });
    expect(stopped.state).toBe('stopped');
    const kept = keepNode(client, '/svc/j', 'v', { ttl: 3 });
    const seen: string[] = [];
    const iterate = (async () => {
      for await (const event of kept) seen.push(event.type);
    })();
    await tick(2_500);
    await kept.stop();
    await iterate;
    expect(seen[0]).toBe('ready');
    expect(seen.slice(1)).toEqual(['refreshed', 'refreshed']);
  });

  it('settles concurrent next() calls of its iterator in order, and every pending one on stop()', async () => {
    const { client } = setup();
    const kept = keepNode(client, '/svc/c', 'v', { ttl: 3 });
    const events = kept[Symbol.asyncIterator]();
    const first = events.next();
    const second = events.next();
    await tick();
    expect(await first).toMatchObject({ value: { type: 'ready' }, done: false });
    const third = events.next();
    const fourth = events.next();
    await tick(1_000);
    expect(await second).toMatchObject({ value: { type: 'refreshed' }, done: false });
    await kept.stop();
    expect(await third).toEqual({ value: undefined, done: true });
    expect(await fourth).toEqual({ value: undefined, done: true });
    expect(await events.next()).toEqual({ value: undefined, done: true });
  });

  it('ends its iterator on return(), with every pending next() resolved done', async () => {
    const { client } = setup();
    const kept = keepNode(client, '/svc/r', 'v', { ttl: 3 });
    const events = kept[Symbol.asyncIterator]();
    const first = events.next();
    const second = events.next();
    await events.return?.();
    expect(await first).toEqual({ value: undefined, done: true });
    expect(await second).toEqual({ value: undefined, done: true });
    await kept.stop();
  });

  it('leaves no timer behind when stopped while a refresh is in flight', async () => {
    const { client, faulty, other } = setup();
    const kept = keepNode(client, '/svc/a', 'v', { ttl: 3 });
    await tick();
    await kept.ready;
    faulty.holdRefreshes = true;
    await tick(1_000);
    expect(faulty.held).toBe(1);
    const stopped = kept.stop();
    faulty.release();
    await tick();
    await stopped;
    expect(kept.state).toBe('stopped');
    await expect(other.get('/svc/a')).rejects.toMatchObject({ errorCode: 100 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ends, failed, when its client is closed, instead of retrying forever', async () => {
    const { client } = setup();
    const log = recorder<KeepEvent>();
    const kept = keepNode(client, '/svc/closed', 'v', { ttl: 3, onEvent: log.onEvent });
    await tick();
    await kept.ready;
    await client.close();
    await tick(1_000);
    expect(kept.state).toBe('failed');
    expect(log.events.at(-1)).toMatchObject({
      type: 'lost',
      reason: 'failed',
      error: expect.any(ClientClosed),
    });
    await kept.stop();
    await tick(10_000);
    expect(log.types()).not.toContain('error');
    expect(log.types().at(-1)).toBe('lost');
  });

  it('checks its arguments', () => {
    const client = mockEtcd();
    expect(() => keepNode(client, '/k', 'v', { ttl: 0 })).toThrow(TypeError);
    expect(() => keepNode(client, '/k', 'v', { ttl: 1.5 })).toThrow(TypeError);
    expect(() => keepNode(client, '/k', 'v', { ttl: 3, interval: 3_000 })).toThrow(/interval/);
    expect(() => keepNode(client, '/k', 42 as unknown as string, { ttl: 3 })).toThrow(TypeError);
    expect(() => keepNode(client, '/a/../b', 'v', { ttl: 3 })).toThrow(TypeError);
  });
});

import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { getEventListeners } from 'node:events';
import {
  ClientClosed,
  ClusterMismatch,
  ConnectionRefused,
  EventIndexCleared,
  Got,
  HTTPError,
  InvalidResponse,
  Node,
  TimedOut,
  Unauthorized,
  type WatchRetryMessage,
  type WatchSnapshotMessage,
} from '@etc/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Client } from './client.js';
import { result, ScriptedAdapter, tick } from './scripted-adapter.js';

/** What a promise has settled with so far (`'pending'` until then), without waiting on it. */
function track<T>(promise: Promise<T>): { readonly state: T | 'pending' | { rejected: unknown } } {
  const box: { state: T | 'pending' | { rejected: unknown } } = { state: 'pending' };
  promise.then(
    (value) => {
      box.state = value;
    },
    (error: unknown) => {
      box.state = { rejected: error };
    },
  );
  return box;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('watch', () => {
  it('yields each event and resumes the next wait at its index + 1', async () => {
    const adapter = new ScriptedAdapter();
    const client = new Client(adapter);
    const watch = client.watch('/k', { index: 5 });
    const first = watch.next();
    await tick();
    expect(adapter.waits[0]?.request).toMatchObject({
      key: '/k',
      wait: true,
      waitIndex: 5,
      recursive: false,
    });
    adapter.answer(result('set', '/k', 'a', 7));
    expect((await first).value?.value).toBe('a');
    await tick();
    expect(adapter.waits[0]?.request.waitIndex).toBe(8);
    adapter.answer(result('update', '/k', 'b', 9));
    expect((await watch.next()).value?.value).toBe('b');
    await watch.return();
    await tick();
    expect(adapter.waits).toHaveLength(0);
  });

  it('shares one long poll between many watchers of a key and below a recursive watch', async () => {
    const adapter = new ScriptedAdapter();
    const client = new Client(adapter);
    const parent = client.watch('/app', { recursive: true, index: 10 });
    const p0 = parent.next();
    await tick();
    const children = Array.from({ length: 1000 }, () => client.watch('/app/x', { index: 10 }));
    const pending = children.map((w) => w.next());
    const other = client.watch('/app/y');
    const pOther = other.next();
    await tick();
    expect(adapter.waits).toHaveLength(1);
    adapter.answer(result('set', '/app/x', '1', 12));
    expect((await p0).value?.key).toBe('/app/x');
    for (const p of pending) expect((await p).value?.value).toBe('1');
    await tick();
    adapter.answer(result('set', '/app/y', '2', 13));
    expect((await pOther).value?.value).toBe('2');
    await Promise.all([parent.return(), other.return(), ...children.map((w) => w.return())]);
    await tick();
    expect(adapter.waits).toHaveLength(0);
  });

  it('replays recent events to a watcher that joins with a past index, and starts its own poll when it cannot', async () => {
    const adapter = new ScriptedAdapter();
    const client = new Client(adapter);
    const first = client.watch('/k', { index: 3 });
    const f1 = first.next();
    await tick();
    adapter.answer(result('set', '/k', 'a', 4));
    await f1;
    const f2 = first.next();
    await tick();
    adapter.answer(result('set', '/k', 'b', 6));
    await f2;
    const late = client.watch('/k', { index: 5 });
    expect((await late.next()).value?.value).toBe('b');
    const early = client.watch('/k', { index: 1 });
    const e1 = early.next();
    await tick();
    expect(adapter.waits.map((w) => w.request.waitIndex).sort()).toEqual([1, 7]);
    await Promise.all([first.return(), late.return(), early.return()]);
    await e1;
  });

  it('answers a cleared history with a snapshot and goes on from its etcdIndex + 1', async () => {
    const adapter = new ScriptedAdapter();
    const client = new Client(adapter);
    const watch = client.watch('/dir', { index: 2, recursive: true });
    const below = client.watch('/dir/sub', { index: 2 });
    const w1 = watch.next();
    const b1 = below.next();
    await tick();
    adapter.missing.add('/dir/sub');
    adapter.answer(new EventIndexCleared({ errorCode: 401, index: 1500 }));
    const snap = (await w1).value!;
    expect(snap).toBeInstanceOf(Got);
    expect(snap.etcdIndex).toBe(100);
    expect(adapter.reads.map((r) => [r.key, r.recursive])).toEqual([
      ['/dir', true],
      ['/dir/sub', false],
    ]);
    const belowSnap = (await b1).value!;
    expect(belowSnap).toBeInstanceOf(Got);
    expect(belowSnap.node.constructor).toBe(Node);
    expect(belowSnap.key).toBe('/dir/sub');
    await tick();
    expect(adapter.waits[0]?.request.waitIndex).toBe(101);
    await Promise.all([watch.return(), below.return()]);
  });

  it('retries network errors with backoff and rethrows other etcd errors', async () => {
    vi.useFakeTimers();
    const adapter = new ScriptedAdapter();
    const client = new Client(adapter);
    const watch = client.watch('/k', { index: 4 });
    const next = watch.next();
    await vi.advanceTimersByTimeAsync(0);
    adapter.answer(new ConnectionRefused('down'));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(adapter.waits[0]?.request.waitIndex).toBe(4);
    adapter.answer(new Unauthorized({ errorCode: 110, index: 4 }));
    await expect(next).rejects.toBeInstanceOf(Unauthorized);
    expect(await watch.next()).toEqual({ value: undefined, done: true });
  });

  it('ends cleanly on signal abort, on close and on break', async () => {
    const adapter = new ScriptedAdapter();
    const client = new Client(adapter);
    const controller = new AbortController();
    const aborted = client.watch('/a', { signal: controller.signal });
    const pa = aborted.next();
    await tick();
    controller.abort();
    expect(await pa).toEqual({ value: undefined, done: true });

    const closing = client.watch('/b');
    const pc = closing.next();
    await tick();
    await client.close();
    expect(await pc).toEqual({ value: undefined, done: true });
    expect(adapter.waits).toHaveLength(0);

    const client2 = new Client(adapter);
    const seen: string[] = [];
    const loop = (async () => {
      for await (const event of client2.watch('/c', { index: 1 })) {
        seen.push(event.value!);
        break;
      }
    })();
    await tick();
    adapter.answer(result('set', '/c', 'x', 1));
    await loop;
    await tick();
    expect(seen).toEqual(['x']);
    expect(adapter.waits).toHaveLength(0);
  });

  it('checks its options before starting', () => {
    const client = new Client(new ScriptedAdapter());
    expect(() => client.watch('/k', { index: 0 })).toThrow(TypeError);
    expect(() => client.watch('')).toThrow(TypeError);
    expect(() => client.watch('/k', { timeout: 5 } as object)).toThrow(/unknown option "timeout"/);
  });
});

describe('watch iteration', () => {
  it('settles every next() called before the previous one resolved, in order', async () => {
    const adapter = new ScriptedAdapter();
    const watch = new Client(adapter).watch('/k', { index: 1 });
    const first = track(watch.next());
    const second = track(watch.next());
    await tick();
    adapter.answer(result('set', '/k', 'a', 1));
    await tick();
    adapter.answer(result('set', '/k', 'b', 2));
    await tick();
    expect(first.state).toMatchObject({ value: { value: 'a' }, done: false });
    expect(second.state).toMatchObject({ value: { value: 'b' }, done: false });
    const third = track(watch.next());
    const fourth = track(watch.next());
    await watch.return();
    await tick();
    expect(third.state).toEqual({ value: undefined, done: true });
    expect(fourth.state).toEqual({ value: undefined, done: true });
  });

  it('is done after return(), even when the stream had failed', async () => {
    const adapter = new ScriptedAdapter();
    const watch = new Client(adapter).watch('/k', { index: 1 });
    const first = watch.next();
    await tick();
    adapter.answer(result('set', '/k', 'a', 1));
    await first;
    await tick();
    adapter.answer(new Unauthorized({ errorCode: 110, index: 1 }));
    await tick();
    expect(watch.status).toBe('ended');
    await watch.return();
    expect(await watch.next()).toEqual({ value: undefined, done: true });
  });

  it('leaves no listener on the signal of a watch that is never iterated, and ends one aborted before', async () => {
    const adapter = new ScriptedAdapter();
    const client = new Client(adapter);
    const controller = new AbortController();
    for (let i = 0; i < 10; i++) client.watch('/k', { signal: controller.signal });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    const late = client.watch('/k', { signal: controller.signal });
    controller.abort();
    expect(await late.next()).toEqual({ value: undefined, done: true });
    expect(adapter.waits).toHaveLength(0);
  });

  it('puts one listener on a signal shared by 50 watches, and none once they ended', async () => {
    const adapter = new ScriptedAdapter();
    const client = new Client(adapter);
    const controller = new AbortController();
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const watches = Array.from({ length: 50 }, (_, i) =>
        client.watch(`/k${i}`, { index: 1, signal: controller.signal }),
      );
      const pending = watches.map((watch) => watch.next());
      await tick();
      expect(adapter.waits).toHaveLength(50);
      expect(getEventListeners(controller.signal, 'abort').length).toBeLessThanOrEqual(1);
      controller.abort();
      for (const next of pending) expect(await next).toEqual({ value: undefined, done: true });
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      await tick();
      expect(adapter.waits).toHaveLength(0);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([]);
  });
});

describe('watch status and giving up', () => {
  it('reports idle, live and retrying, and is live again once a poll succeeds', async () => {
    vi.useFakeTimers();
    const adapter = new ScriptedAdapter();
    const watch = new Client(adapter).watch('/k', { index: 4 });
    expect(watch.status).toBe('idle');
    const first = track(watch.next());
    await vi.advanceTimersByTimeAsync(0);
    expect(watch.status).toBe('live');
    expect(watch.lastError).toBeUndefined();
    const garbled = new InvalidResponse(200, 'not etcd');
    adapter.answer(garbled);
    await vi.advanceTimersByTimeAsync(0);
    expect(watch.status).toBe('retrying');
    expect(watch.lastError).toBe(garbled);
    await vi.advanceTimersByTimeAsync(200);
    adapter.answer(result('set', '/k', 'a', 4));
    await vi.advanceTimersByTimeAsync(0);
    expect(first.state).toMatchObject({ value: { value: 'a' } });
    expect(watch.status).toBe('live');
    expect(watch.lastError).toBeUndefined();
    await watch.return();
    expect(watch.status).toBe('ended');
  });

  it('ends, rejecting next() with the last error, when polls keep failing for another reason than the network for giveUpAfter', async () => {
    vi.useFakeTimers();
    const adapter = new ScriptedAdapter();
    const watch = new Client(adapter).watch('/k', { index: 4, giveUpAfter: 10_000 });
    let answers = 0;
    const badGateway = new HTTPError(502, 'Bad Gateway', '<html>502</html>');
    adapter.failWaits = () => (++answers % 2 === 0 ? badGateway : new InvalidResponse(200, 'an HTML page'));
    const next = track(watch.next());
    await vi.advanceTimersByTimeAsync(9_000);
    expect(next.state).toBe('pending');
    expect(watch.status).toBe('retrying');
    const polls = adapter.polls.length;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(next.state).not.toBe('pending');
    const error = (next.state as { rejected: unknown }).rejected;
    expect(error).toBe(answers % 2 === 0 ? badGateway : watch.lastError);
    expect(error).toBeInstanceOf(HTTPError);
    expect(watch.status).toBe('ended');
    expect(watch.lastError).toBe(error);
    expect(await watch.next()).toEqual({ value: undefined, done: true });
    // It backed off meanwhile: a handful of polls, not a busy loop.
    expect(polls).toBeGreaterThan(3);
    expect(polls).toBeLessThan(30);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(adapter.polls).toHaveLength(answers);
  });

  it('gives up on a member of another cluster after the default 30 s', async () => {
    vi.useFakeTimers();
    const adapter = new ScriptedAdapter();
    const watch = new Client(adapter).watch('/k', { index: 4 });
    adapter.failWaits = () => new ClusterMismatch('a', 'b', 'http://127.0.0.1:1');
    const next = track(watch.next());
    await vi.advanceTimersByTimeAsync(29_000);
    expect(next.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(1_000);
    expect((next.state as { rejected: unknown }).rejected).toBeInstanceOf(ClusterMismatch);
  });

  it('never gives up on network failures, and counts non-network ones only from the first of them', async () => {
    vi.useFakeTimers();
    const adapter = new ScriptedAdapter();
    const watch = new Client(adapter).watch('/k', { index: 4, giveUpAfter: 1_000 });
    adapter.failWaits = () => new ConnectionRefused('down');
    const next = track(watch.next());
    await vi.advanceTimersByTimeAsync(120_000);
    adapter.failWaits = () => new TimedOut('no answer');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(next.state).toBe('pending');
    expect(watch.status).toBe('retrying');
    expect(watch.lastError).toBeInstanceOf(TimedOut);
    adapter.failWaits = () => new HTTPError(503, 'Service Unavailable');
    // To the end of the current pause, when the next poll gets the first 503.
    const polls = adapter.polls.length;
    await vi.advanceTimersToNextTimerAsync();
    expect(adapter.polls).toHaveLength(polls + 1);
    expect(watch.lastError).toBeInstanceOf(HTTPError);
    await vi.advanceTimersByTimeAsync(999);
    expect(next.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect((next.state as { rejected: unknown }).rejected).toBeInstanceOf(HTTPError);
  });

  it('gives up per watch: a patient watch sharing the poll goes on', async () => {
    vi.useFakeTimers();
    const adapter = new ScriptedAdapter();
    const client = new Client(adapter);
    const impatient = client.watch('/k', { index: 4, giveUpAfter: 1_000 });
    const patient = client.watch('/k', { index: 4, giveUpAfter: Number.POSITIVE_INFINITY });
    const a = track(impatient.next());
    const b = track(patient.next());
    await vi.advanceTimersByTimeAsync(0);
    expect(adapter.waits).toHaveLength(1);
    adapter.answer(new InvalidResponse(200, 'garbled'));
    adapter.failWaits = () => new InvalidResponse(200, 'garbled');
    await vi.advanceTimersByTimeAsync(1_000);
    expect((a.state as { rejected: unknown }).rejected).toBeInstanceOf(InvalidResponse);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(b.state).toBe('pending');
    expect(patient.status).toBe('retrying');
    adapter.failWaits = undefined;
    await vi.advanceTimersByTimeAsync(5_000);
    adapter.answer(result('set', '/k', 'x', 4));
    await vi.advanceTimersByTimeAsync(0);
    expect(b.state).toMatchObject({ value: { value: 'x' } });
    await patient.return();
  });

  it('counts the failures of a poll a watch joined from when it joined', async () => {
    vi.useFakeTimers();
    const adapter = new ScriptedAdapter();
    const client = new Client(adapter);
    adapter.failWaits = () => new InvalidResponse(200, 'garbled');
    const first = client.watch('/k', { index: 4, giveUpAfter: 10_000 });
    const a = track(first.next());
    await vi.advanceTimersByTimeAsync(8_000);
    const late = client.watch('/k', { index: 4, giveUpAfter: 5_000 });
    const b = track(late.next());
    await vi.advanceTimersByTimeAsync(2_000);
    expect((a.state as { rejected: unknown }).rejected).toBeInstanceOf(InvalidResponse);
    expect(b.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(2_999);
    expect(b.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect((b.state as { rejected: unknown }).rejected).toBeInstanceOf(InvalidResponse);
  });

  it('publishes each retry and each snapshot on the etc:watch channels', async () => {
    vi.useFakeTimers();
    const retries: WatchRetryMessage[] = [];
    const snapshots: WatchSnapshotMessage[] = [];
    const onRetry = (message: unknown) => retries.push(message as WatchRetryMessage);
    const onSnapshot = (message: unknown) => snapshots.push(message as WatchSnapshotMessage);
    subscribe('etc:watch:retry', onRetry);
    subscribe('etc:watch:snapshot', onSnapshot);
    try {
      const adapter = new ScriptedAdapter();
      const watch = new Client(adapter).watch('/k', { recursive: true });
      const first = watch.next();
      await vi.advanceTimersByTimeAsync(0);
      const down = new ConnectionRefused('down');
      adapter.answer(down);
      await vi.advanceTimersByTimeAsync(0);
      expect(retries).toEqual([
        { key: '/k', recursive: true, error: down, failures: 1, delay: expect.any(Number) },
      ]);
      await vi.advanceTimersByTimeAsync(10_000);
      expect((await first).value).toBeInstanceOf(Got);
      expect(snapshots).toEqual([{ key: '/k', recursive: true, etcdIndex: 100, reason: 'unknown-start' }]);
      adapter.answer(new EventIndexCleared({ errorCode: 401, index: 1500 }));
      await vi.advanceTimersByTimeAsync(0);
      expect(snapshots[1]).toMatchObject({ reason: 'history-cleared' });
      await watch.return();
    } finally {
      unsubscribe('etc:watch:retry', onRetry);
      unsubscribe('etc:watch:snapshot', onSnapshot);
    }
  });

  it('ends cleanly when the adapter says the client is closed', async () => {
    const adapter = new ScriptedAdapter();
    const watch = new Client(adapter).watch('/k', { index: 4 });
    const next = watch.next();
    await tick();
    adapter.answer(new ClientClosed('the client is closed'));
    expect(await next).toEqual({ value: undefined, done: true });
    expect(watch.lastError).toBeUndefined();
  });

  it('checks giveUpAfter', () => {
    const client = new Client(new ScriptedAdapter());
    expect(() => client.watch('/k', { giveUpAfter: 0 })).toThrow(/giveUpAfter must be a positive number/);
    expect(() => client.watch('/k', { giveUpAfter: Number.NaN })).toThrow(TypeError);
  });
});

describe('watches sharing a long poll', () => {
  it('gives a watch started from now none of the past events a catching-up stream still replays', async () => {
    const adapter = new ScriptedAdapter();
    const client = new Client(adapter);
    const old = client.watch('/k', { index: 2 });
    const o1 = old.next();
    await tick();
    // Answered from history: the event is old, etcd is at 1000 already.
    adapter.answer(result('set', '/k', 'old-1', 2, 1000));
    await o1;
    const fresh = client.watch('/k');
    const f1 = track(fresh.next());
    await tick();
    expect(adapter.waits).toHaveLength(1);
    adapter.answer(result('set', '/k', 'old-2', 3, 1000));
    expect((await old.next()).value?.value).toBe('old-2');
    await tick();
    expect(f1.state).toBe('pending');
    await tick();
    adapter.answer(result('set', '/k', 'new', 1001, 1000));
    await tick();
    expect(f1.state).toMatchObject({ value: { value: 'new' } });
    await Promise.all([old.return(), fresh.return()]);
  });

  it('gives a watch below a recursive stream what its own wait would get: hidden keys from history, not live', async () => {
    const adapter = new ScriptedAdapter();
    const client = new Client(adapter);
    const parent = client.watch('/app', { recursive: true, index: 10 });
    const below = client.watch('/app/x', { recursive: true, index: 10 });
    const p1 = parent.next();
    const b1 = track(below.next());
    await tick();
    expect(adapter.waits).toHaveLength(1);
    // Answered from history (the wait started at 50): etcd includes keys under a `_` segment.
    adapter.answer(result('set', '/app/x/_h', 'old', 12, 50));
    expect((await p1).value?.key).toBe('/app/x/_h');
    await tick();
    expect(b1.state).toMatchObject({ value: { key: '/app/x/_h' } });
    // Answered live (newer than the wait's start): a live wait of /app/x skips it.
    const p2 = parent.next();
    const b2 = track(below.next());
    await tick();
    adapter.answer(result('set', '/app/x/_h', 'new', 60, 50));
    expect((await p2).value?.modifiedIndex).toBe(60);
    await tick();
    expect(b2.state).toBe('pending');
    adapter.answer(result('set', '/app/x/y', 'v', 61, 50));
    await tick();
    expect(b2.state).toMatchObject({ value: { key: '/app/x/y' } });
    await Promise.all([parent.return(), below.return()]);
  });

  it('gives a watch the removal of a directory whose key prefixes its own only when etcd answered from history', async () => {
    const adapter = new ScriptedAdapter();
    const client = new Client(adapter);
    const parent = client.watch('/app', { recursive: true, index: 10 });
    const sx = client.watch('/app/sx', { index: 10 });
    const p1 = parent.next();
    const s1 = track(sx.next());
    await tick();
    // Live: the removal of /app/s does not concern /app/sx.
    adapter.answer(result('delete', '/app/s', undefined, 12, 11));
    await p1;
    await tick();
    expect(s1.state).toBe('pending');
    // From history, etcd matches directory removals by string prefix, and so does a wait of /app/sx.
    const p2 = parent.next();
    await tick();
    adapter.answer(result('delete', '/app/s', undefined, 13, 20));
    await p2;
    await tick();
    expect(s1.state).toMatchObject({ value: { key: '/app/s', modifiedIndex: 13 } });
    await Promise.all([parent.return(), sx.return()]);
  });

  it('does not start a watch below a hidden segment on a recursive stream above it', async () => {
    const adapter = new ScriptedAdapter();
    const client = new Client(adapter);
    const parent = client.watch('/app', { recursive: true, index: 10 });
    const hidden = client.watch('/app/_private/k', { index: 10 });
    const p = parent.next();
    const h = hidden.next();
    await tick();
    expect(adapter.waits.map((w) => w.request.key).sort()).toEqual(['/app', '/app/_private/k']);
    await Promise.all([parent.return(), hidden.return()]);
    await Promise.all([p, h]);
  });

  it('bridges a network error before the first event of a watch from now with a snapshot, not a gap', async () => {
    vi.useFakeTimers();
    const adapter = new ScriptedAdapter();
    const watch = new Client(adapter).watch('/k');
    const first = track(watch.next());
    await vi.advanceTimersByTimeAsync(0);
    expect(adapter.waits[0]?.request.waitIndex).toBeUndefined();
    adapter.answer(new ConnectionRefused('down'));
    await vi.advanceTimersByTimeAsync(10_000);
    // Changes made while the poll was down cannot be replayed (its start index is unknown).
    const snap = (first.state as IteratorResult<Got>).value;
    expect(snap).toBeInstanceOf(Got);
    expect(snap?.etcdIndex).toBe(100);
    expect(adapter.waits[0]?.request.waitIndex).toBe(101);
    await watch.return();
  });
});

import { getEventListeners } from 'node:events';
import { ConnectionRefused, Got, Unauthorized } from '@etc/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Client } from './client.js';
import { result, ScriptedAdapter, tick } from './scripted-adapter.js';

/** What a promise has settled with so far (`'pending'` until then), without waiting on it. */
function track<T>(promise: Promise<T>): { readonly state: T | 'pending' } {
  const box: { state: T | 'pending' } = { state: 'pending' };
  promise.then((value) => {
    box.state = value;
  });
  return box;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('watch (review)', () => {
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
    await watch.return();
    expect(await watch.next()).toEqual({ value: undefined, done: true });
  });

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
    const snap = first.state === 'pending' ? undefined : first.state.value;
    expect(snap).toBeInstanceOf(Got);
    expect(snap?.etcdIndex).toBe(100);
    expect(adapter.waits[0]?.request.waitIndex).toBe(101);
    await watch.return();
  });
});

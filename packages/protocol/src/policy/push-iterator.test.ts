import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { PushIterator } from './push-iterator.js';

/** What a promise has settled with so far (`'pending'` until then). */
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

/** Lets every settled promise's callbacks run. */
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('PushIterator', () => {
  it('buffers values pushed before next() and hands them out in order', async () => {
    const it = new PushIterator<number>();
    it.push(1);
    it.push(2);
    expect(it.buffered).toBe(2);
    expect(await it.next()).toEqual({ value: 1, done: false });
    expect(await it.next()).toEqual({ value: 2, done: false });
    it.end();
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('settles any number of concurrent next() calls in the order they were made', async () => {
    const it = new PushIterator<string>();
    const calls = Array.from({ length: 5 }, () => track(it.next()));
    await flush();
    expect(calls.every((call) => call.state === 'pending')).toBe(true);
    it.push('a');
    it.push('b');
    it.push('c');
    await flush();
    expect(calls.map((call) => call.state)).toEqual([
      { value: 'a', done: false },
      { value: 'b', done: false },
      { value: 'c', done: false },
      'pending',
      'pending',
    ]);
    it.end();
    await flush();
    expect(calls[3]?.state).toEqual({ value: undefined, done: true });
    expect(calls[4]?.state).toEqual({ value: undefined, done: true });
  });

  it('ends after the buffered values', async () => {
    const it = new PushIterator<number>();
    it.push(1);
    it.end();
    it.push(2);
    expect(it.closed).toBe(true);
    expect(await it.next()).toEqual({ value: 1, done: false });
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('delivers an error after the buffered values, once, then is done', async () => {
    const it = new PushIterator<number>();
    const boom = new Error('boom');
    it.push(1);
    it.push(2);
    it.fail(boom);
    it.fail(new Error('ignored'));
    expect(await it.next()).toEqual({ value: 1, done: false });
    expect(await it.next()).toEqual({ value: 2, done: false });
    await expect(it.next()).rejects.toBe(boom);
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('rejects the oldest pending next() with the error and resolves the others done', async () => {
    const it = new PushIterator<number>();
    const first = track(it.next());
    const second = track(it.next());
    const boom = new Error('boom');
    it.fail(boom);
    await flush();
    expect(first.state).toEqual({ rejected: boom });
    expect(second.state).toEqual({ value: undefined, done: true });
  });

  it('return() ends at once: pending next() calls resolve done, buffered values and errors are dropped', async () => {
    const onEnd = vi.fn();
    const pending = new PushIterator<number>({ onEnd });
    const a = track(pending.next());
    const b = track(pending.next());
    expect(await pending.return()).toEqual({ value: undefined, done: true });
    await flush();
    expect(a.state).toEqual({ value: undefined, done: true });
    expect(b.state).toEqual({ value: undefined, done: true });
    pending.push(1);
    expect(await pending.next()).toEqual({ value: undefined, done: true });
    expect(onEnd).toHaveBeenCalledTimes(1);

    const buffered = new PushIterator<number>();
    buffered.push(1);
    buffered.fail(new Error('dropped'));
    await buffered.return();
    expect(await buffered.next()).toEqual({ value: undefined, done: true });
  });

  it('ends a for await loop on break and tells the producer once', async () => {
    const onEnd = vi.fn();
    const it = new PushIterator<number>({ onEnd });
    it.push(1);
    it.push(2);
    const seen: number[] = [];
    for await (const value of it) {
      seen.push(value);
      break;
    }
    expect(seen).toEqual([1]);
    expect(onEnd).toHaveBeenCalledTimes(1);
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('calls onStart at the first next() and onEnd once, whoever ends it', async () => {
    const onStart = vi.fn();
    const onEnd = vi.fn();
    const it = new PushIterator<number>({ onStart, onEnd });
    expect(onStart).not.toHaveBeenCalled();
    const next = it.next();
    void it.next();
    expect(onStart).toHaveBeenCalledTimes(1);
    it.end();
    await it.return();
    expect(await next).toEqual({ value: undefined, done: true });
    expect(onEnd).toHaveBeenCalledTimes(1);
  });

  it('ends cleanly when its signal aborts, and removes its listener', async () => {
    const controller = new AbortController();
    const onEnd = vi.fn();
    const it = new PushIterator<number>({ signal: controller.signal, onEnd });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    const first = track(it.next());
    const second = track(it.next());
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort(new Error('reason'));
    await flush();
    expect(first.state).toEqual({ value: undefined, done: true });
    expect(second.state).toEqual({ value: undefined, done: true });
    expect(await it.next()).toEqual({ value: undefined, done: true });
    expect(onEnd).toHaveBeenCalledTimes(1);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('is done at once, without starting, when its signal aborted before the first next()', async () => {
    const onStart = vi.fn();
    const it = new PushIterator<number>({ signal: AbortSignal.abort(), onStart });
    it.push(1);
    expect(await it.next()).toEqual({ value: undefined, done: true });
    expect(onStart).not.toHaveBeenCalled();
  });

  it('puts one listener on a signal however many iterators share it, and takes it off with the last', async () => {
    const controller = new AbortController();
    const iterators = Array.from(
      { length: 50 },
      () => new PushIterator<number>({ signal: controller.signal }),
    );
    for (const it of iterators) void it.next();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    for (const it of iterators.slice(1)) await it.return();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    iterators[0]?.end();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('releases the signal when the producer ends, keeping the buffered values', async () => {
    const controller = new AbortController();
    const it = new PushIterator<number>({ signal: controller.signal });
    void it.next().then(() => undefined);
    it.push(1);
    it.push(2);
    it.end();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    controller.abort();
    expect(await it.next()).toEqual({ value: 2, done: false });
  });
});

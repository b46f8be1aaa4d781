import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CallOptions } from '../adapter.js';
import { OutcomeUnknown, TimedOut } from '../errors.js';
import { Call, type CallKind } from './call.js';
import { deadline, effectiveTimeout, MAX_TIMER_DELAY } from './deadline.js';
import type { Send } from './layer.js';

/** A core that never settles by itself and records the calls that reached it. */
function stuckCore(): Send & { calls: Call[] } {
  const calls: Call[] = [];
  const core = (call: Call) => {
    calls.push(call);
    return new Promise<never>(() => {});
  };
  return Object.assign(core, { calls });
}

function call(kind: CallKind, request: CallOptions = {}, operation = kind === 'write' ? 'set' : 'get'): Call {
  return new Call(operation, request, kind);
}

/** How `promise` has settled so far, without waiting. */
async function peek(promise: Promise<unknown>): Promise<'pending' | 'resolved' | 'rejected'> {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  promise.then(
    () => {
      state = 'resolved';
    },
    () => {
      state = 'rejected';
    },
  );
  await Promise.resolve();
  await Promise.resolve();
  return state;
}

describe('deadline layer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("rejects with TimedOut when the call's timeout passes, and aborts the call for the core", async () => {
    const core = stuckCore();
    const send = deadline({ timeout: Number.POSITIVE_INFINITY }).wrap(core);
    const c = call('read', { timeout: 1_000 });
    const result = send(c);
    const outcome = expect(result).rejects.toMatchObject({ timeout: 1_000 });
    await vi.advanceTimersByTimeAsync(999);
    expect(await peek(result)).toBe('pending');
    expect(c.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await outcome;
    await expect(result).rejects.toBeInstanceOf(TimedOut);
    await expect(result).rejects.not.toBeInstanceOf(OutcomeUnknown);
    expect(c.aborted).toBe(true);
    expect(c.reason).toBeInstanceOf(TimedOut);
    expect(c.timeout).toBe(1_000);
  });

  it('a write whose time runs out rejects with OutcomeUnknown caused by TimedOut', async () => {
    const send = deadline({ timeout: Number.POSITIVE_INFINITY }).wrap(stuckCore());
    const result = send(call('write', { timeout: 500 }));
    const outcome = result.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(500);
    const error = await outcome;
    expect(error).toBeInstanceOf(OutcomeUnknown);
    expect((error as OutcomeUnknown).cause).toBeInstanceOf(TimedOut);
    expect(((error as OutcomeUnknown).cause as TimedOut).timeout).toBe(500);
  });

  it('the default timeout bounds reads and writes that give none, never waits', async () => {
    const send = deadline({ timeout: 2_000 }).wrap(stuckCore());
    const read = send(call('read'));
    const write = send(call('write'));
    const wait = send(call('wait'));
    const outcomes = [read.catch((e: unknown) => e), write.catch((e: unknown) => e)];
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await outcomes[0]).toBeInstanceOf(TimedOut);
    expect(await outcomes[1]).toBeInstanceOf(OutcomeUnknown);
    // The wait has no timer at all: nothing can fire, however long it waits.
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(await peek(wait)).toBe('pending');
  });

  it("a call's own timeout wins over the default, longer or shorter, and bounds a wait", async () => {
    const send = deadline({ timeout: 1_000 }).wrap(stuckCore());
    const longer = call('read', { timeout: 5_000 });
    const shorter = call('read', { timeout: 100 });
    const wait = call('wait', { timeout: 300 });
    const results = [send(longer), send(shorter), send(wait)].map((p) => p.catch((e: unknown) => e));
    await vi.advanceTimersByTimeAsync(300);
    expect(shorter.aborted && wait.aborted).toBe(true);
    expect(longer.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(4_700);
    for (const result of results) expect(await result).toBeInstanceOf(TimedOut);
    expect([longer.timeout, shorter.timeout, wait.timeout]).toEqual([5_000, 100, 300]);
  });

  it('timeouts beyond the timer range, and Infinity, arm no timer at all', async () => {
    const core = stuckCore();
    const send = deadline({ timeout: 2 ** 31 }).wrap(core);
    const calls = [
      call('read'),
      call('read', { timeout: 2 ** 31 }),
      call('write', { timeout: 2 ** 53 }),
      call('wait', { timeout: Number.POSITIVE_INFINITY }),
    ];
    const results = calls.map((c) => send(c));
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10);
    for (const result of results) expect(await peek(result)).toBe('pending');
    for (const c of calls) expect(c.timeout).toBe(Number.POSITIVE_INFINITY);
    // The largest delay setTimeout takes is still a limit.
    const edge = call('read', { timeout: MAX_TIMER_DELAY });
    const bounded = send(edge).catch((e: unknown) => e);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(MAX_TIMER_DELAY);
    expect(await bounded).toBeInstanceOf(TimedOut);
    expect(effectiveTimeout(MAX_TIMER_DELAY)).toBe(MAX_TIMER_DELAY);
    expect(effectiveTimeout(MAX_TIMER_DELAY + 1)).toBe(Number.POSITIVE_INFINITY);
  });

  it('timeout 0 or less rejects at once with TimedOut, a write too, and the core is never called', async () => {
    const core = stuckCore();
    const send = deadline({ timeout: 1_000 }).wrap(core);
    for (const kind of ['read', 'wait', 'write'] as const) {
      for (const timeout of [0, -5, Number.NEGATIVE_INFINITY]) {
        const error = await send(call(kind, { timeout })).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TimedOut);
        expect(error).not.toBeInstanceOf(OutcomeUnknown);
        expect((error as TimedOut).timeout).toBe(timeout);
      }
    }
    expect(core.calls).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a NaN timeout, or one that is not a number, is a TypeError and the core is never called', async () => {
    const core = stuckCore();
    const send = deadline({ timeout: 1_000 }).wrap(core);
    await expect(send(call('write', { timeout: Number.NaN }))).rejects.toThrow(TypeError);
    await expect(send(call('read', { timeout: Number.NaN }))).rejects.toThrow(/timeout must be a number/);
    // Not a number at all (a caller without types): no coercion of '100' into a timer delay.
    const untyped = { timeout: '100' } as unknown as CallOptions;
    await expect(send(call('read', untyped))).rejects.toThrow(TypeError);
    expect(core.calls).toEqual([]);
  });

  it('a signal aborted before the call rejects with its reason; the core is never called', async () => {
    const core = stuckCore();
    const send = deadline({ timeout: 1_000 }).wrap(core);
    const reason = new Error('before');
    const signal = AbortSignal.abort(reason);
    await expect(send(call('write', { signal, timeout: 0 }))).rejects.toBe(reason);
    await expect(send(call('read', { signal }))).rejects.toBe(reason);
    expect(core.calls).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('aborting during the call rejects with the same reason object and aborts the call for the core', async () => {
    const core = stuckCore();
    const send = deadline({ timeout: 1_000 }).wrap(core);
    const controller = new AbortController();
    const c = call('write', { signal: controller.signal });
    const result = send(c);
    const reason = { not: 'an Error' };
    controller.abort(reason);
    await expect(result).rejects.toBe(reason);
    expect(core.calls).toEqual([c]);
    expect(c.aborted).toBe(true);
    expect(c.reason).toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a core that ignores the abort still settles the call at the deadline, and its late answer is dropped', async () => {
    let answer!: (value: string) => void;
    const core: Send = () =>
      new Promise((resolve) => {
        answer = resolve;
      });
    const send = deadline({ timeout: Number.POSITIVE_INFINITY }).wrap(core);
    const result = send(call('read', { timeout: 200 }));
    const outcome = result.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(200);
    expect(await outcome).toBeInstanceOf(TimedOut);
    answer('too late');
    await expect(result).rejects.toBeInstanceOf(TimedOut);
  });

  it("a core's own error after the call was aborted gives way to the call's reason", async () => {
    const send = deadline({ timeout: Number.POSITIVE_INFINITY }).wrap(
      (c) =>
        new Promise((_, reject) => {
          c.addEventListener('abort', () => reject(new Error('socket destroyed')));
        }),
    );
    const controller = new AbortController();
    const result = send(call('read', { signal: controller.signal }));
    controller.abort('mine');
    await expect(result).rejects.toBe('mine');
  });

  it('resolves and rejects with what the core settles with, when in time', async () => {
    const failure = new Error('etcd said no');
    const send = deadline({ timeout: 1_000 }).wrap((c) =>
      c.operation === 'get' ? Promise.resolve('answer') : Promise.reject(failure),
    );
    await expect(send(call('read', { timeout: 50 }))).resolves.toBe('answer');
    await expect(send(call('write', { timeout: 50 }))).rejects.toBe(failure);
  });

  it('50 calls on one signal add one listener to it, and none is left once they settle', async () => {
    const send = deadline({ timeout: 1_000 }).wrap(stuckCore());
    const controller = new AbortController();
    const { signal } = controller;
    const results = Array.from({ length: 50 }, () => send(call('wait', { signal })));
    expect(getEventListeners(signal, 'abort')).toHaveLength(1);
    const reason = new Error('all');
    controller.abort(reason);
    for (const result of results) await expect(result).rejects.toBe(reason);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);

    // Settled one by one (answered, timed out), the last one takes the listener away.
    const other = new AbortController();
    let answers = 0;
    const answering = deadline({ timeout: 1_000 }).wrap((c) =>
      answers++ % 2 === 0 ? Promise.resolve(c.operation) : new Promise(() => {}),
    );
    const mixed = Array.from({ length: 50 }, () => answering(call('read', { signal: other.signal })));
    expect(getEventListeners(other.signal, 'abort')).toHaveLength(1);
    const settled = Promise.allSettled(mixed);
    await vi.advanceTimersByTimeAsync(1_000);
    const outcomes = await settled;
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(25);
    expect(getEventListeners(other.signal, 'abort')).toHaveLength(0);
  });

  it('a layer below that throws instead of rejecting still settles the call and cleans up', async () => {
    const controller = new AbortController();
    const failure = new Error('thrown, not returned');
    const send = deadline({ timeout: 1_000 }).wrap(() => {
      throw failure;
    });
    await expect(send(call('read', { signal: controller.signal }))).rejects.toBe(failure);
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('a layer below that aborts the call at once and then rejects leaves no rejection unhandled', async () => {
    const send = deadline({ timeout: 1_000 }).wrap((c) => {
      c.abort(new Error('cut at once'));
      return Promise.reject(new Error('the rejection after the cut'));
    });
    await expect(send(call('read'))).rejects.toThrow('cut at once');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('leaves no timer and no listener behind once a call settled, however it settled', async () => {
    const controller = new AbortController();
    const { signal } = controller;
    const send = deadline({ timeout: 1_000 }).wrap((c) =>
      c.operation === 'ok' ? Promise.resolve(1) : Promise.reject(new Error('no')),
    );
    await send(new Call('ok', { signal, timeout: 500 }, 'read'));
    await send(new Call('fail', { signal }, 'write')).catch(() => {});
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    const stuck = deadline({ timeout: 1_000 }).wrap(stuckCore());
    const timedOut = stuck(call('read', { signal })).catch(() => {});
    await vi.advanceTimersByTimeAsync(1_000);
    await timedOut;
    const aborted = stuck(call('read', { signal, timeout: 100 }));
    controller.abort();
    await aborted.catch(() => {});
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });
});

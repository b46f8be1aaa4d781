import { setTimeout as sleep } from 'node:timers/promises';
import { KeyNotFound, OutcomeUnknown, SetResult, TimedOut } from '@etc/protocol';
import { describe, expect, it } from 'vitest';
import { type ContractContext, rejection, stateAfter } from '../context.js';
import { Recorder, Stall } from '../test-layers.js';

/** Beyond setTimeout's range (2^31 - 1 ms): must mean "no limit", never a timer that fires at once. */
const HUGE = 2 ** 31;

/**
 * Timeouts, in milliseconds, as every adapter reads them: a positive number bounds the whole call;
 * 0 or less means the deadline has already passed (the call rejects with `TimedOut` and nothing is
 * sent, a write too, so it is a plain `TimedOut`, never `OutcomeUnknown`); anything beyond the timer
 * range, and `Infinity`, mean no limit; `NaN` is a `TypeError`. `Client` itself refuses a `timeout`
 * that is not a positive number with a `TypeError` before any call reaches the adapter.
 */
export function timeoutChecks(ctx: ContractContext): void {
  describe('timeouts', () => {
    it('timeout 0 (or less) rejects at once with TimedOut and sends nothing, a write too', async () => {
      const recorder = new Recorder();
      const adapter = await ctx.adapter({ layers: [recorder] });
      const key = ctx.key('zero');
      for (const timeout of [0, -1]) {
        const write = await rejection(adapter.set({ key, value: 'x', timeout }));
        expect(write).toBeInstanceOf(TimedOut);
        expect(write).not.toBeInstanceOf(OutcomeUnknown);
        const read = await rejection(adapter.get({ key, timeout }));
        expect(read).toBeInstanceOf(TimedOut);
        expect(await rejection(adapter.get({ key, wait: true, timeout }))).toBeInstanceOf(TimedOut);
      }
      expect(recorder.seen).toEqual([]);
      await expect(adapter.get({ key })).rejects.toBeInstanceOf(KeyNotFound);
    });

    it('a NaN timeout is a TypeError, and nothing is sent', async () => {
      const recorder = new Recorder();
      const adapter = await ctx.adapter({ layers: [recorder] });
      await expect(adapter.set({ key: ctx.key('nan'), value: 'x', timeout: Number.NaN })).rejects.toThrow(
        TypeError,
      );
      expect(recorder.seen).toEqual([]);
    });

    it('a wait with a small timeout rejects with TimedOut carrying that timeout', async () => {
      const adapter = await ctx.adapter();
      const error = await rejection(adapter.get({ key: ctx.key('quiet'), wait: true, timeout: 300 }));
      expect(error).toBeInstanceOf(TimedOut);
      expect((error as TimedOut).timeout).toBe(300);
    });

    it('a read held below the deadline rejects with TimedOut at its timeout', async () => {
      const adapter = await ctx.adapter({ layers: [new Stall()] });
      const error = await rejection(adapter.get({ key: ctx.key('a'), timeout: 300 }));
      expect(error).toBeInstanceOf(TimedOut);
      expect(error).not.toBeInstanceOf(OutcomeUnknown);
    });

    it('a write whose time runs out is OutcomeUnknown caused by TimedOut, never a bare TimedOut', async () => {
      const adapter = await ctx.adapter({ layers: [new Stall()] });
      for (const call of [
        adapter.set({ key: ctx.key('a'), value: 'x', timeout: 300 }),
        adapter.append({ key: ctx.key('q'), value: 'x', timeout: 300 }),
        adapter.delete({ key: ctx.key('a'), timeout: 300 }),
      ]) {
        const error = await rejection(call);
        expect(error).toBeInstanceOf(OutcomeUnknown);
        expect((error as OutcomeUnknown).cause).toBeInstanceOf(TimedOut);
      }
    });

    it('the default timeout bounds calls that give none, but not waits', async () => {
      const adapter = await ctx.adapter({ layers: [new Stall()], timeout: 300 });
      const read = await rejection(adapter.get({ key: ctx.key('a') }));
      expect(read).toBeInstanceOf(TimedOut);
      expect((read as TimedOut).timeout).toBe(300);
      const controller = new AbortController();
      const wait = adapter.get({ key: ctx.key('a'), wait: true, signal: controller.signal });
      // Three times the default: a wait bounded by it would have rejected long before.
      expect(await stateAfter(wait, 900)).toBe('pending');
      controller.abort();
      await expect(wait).rejects.toBe(controller.signal.reason);
    });

    it('huge timeouts (beyond 2^31 - 1 ms) and Infinity mean no limit and never fire early', async () => {
      const adapter = await ctx.adapter();
      const writer = await ctx.adapter();
      for (const timeout of [HUGE, 2 ** 53, Number.POSITIVE_INFINITY]) {
        const key = ctx.key(`huge-${timeout}`);
        const before = await writer.set({ key, value: 'before' });
        // From the next index on, so the wait sees the write even if it reaches the server later.
        const waitIndex = (before.modifiedIndex as number) + 1;
        const wait = adapter.get({ key, wait: true, waitIndex, timeout });
        // A timer that overflowed fires after 1 ms; this sleep's timer is armed after it.
        await sleep(50);
        await writer.set({ key, value: 'woke', timeout });
        const event = await wait;
        expect(event).toBeInstanceOf(SetResult);
        expect(event.value).toBe('woke');
        expect((await adapter.get({ key, timeout })).value).toBe('woke');
      }
    });
  });
}

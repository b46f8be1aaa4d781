import { getEventListeners } from 'node:events';
import { Got, SetResult } from '@etc/protocol';
import { describe, expect, it } from 'vitest';
import type { ContractContext } from '../context.js';
import { Recorder } from '../test-layers.js';

/** Many calls at once, and many calls on one `AbortSignal`. */
export function concurrencyChecks(ctx: ContractContext): void {
  describe('concurrency', () => {
    it('100 calls in flight at once each resolve with their own answer', async () => {
      const adapter = await ctx.adapter();
      const names = Array.from({ length: 100 }, (_, i) => `k${i}`);
      const sets = await Promise.all(names.map((name) => adapter.set({ key: ctx.key(name), value: name })));
      sets.forEach((result, i) => {
        expect(result).toBeInstanceOf(SetResult);
        expect(result.key).toBe(ctx.key(`k${i}`));
        expect(result.value).toBe(`k${i}`);
      });
      expect(new Set(sets.map((result) => result.modifiedIndex)).size).toBe(100);
      const gets = await Promise.all(names.map((name) => adapter.get({ key: ctx.key(name) })));
      gets.forEach((result, i) => {
        expect(result.constructor).toBe(Got);
        expect(result.value).toBe(`k${i}`);
        expect(result.modifiedIndex).toBe(sets[i]?.modifiedIndex);
      });
    });

    it('20 waits in flight each get the event of their own key', async () => {
      const recorder = new Recorder();
      const adapter = await ctx.adapter({ layers: [recorder] });
      const writer = await ctx.adapter();
      const start = await writer.set({ key: ctx.key('start'), value: '' });
      const waitIndex = (start.modifiedIndex as number) + 1;
      const names = Array.from({ length: 20 }, (_, i) => `w${i}`);
      const waits = names.map((name) => adapter.get({ key: ctx.key(name), wait: true, waitIndex }));
      await recorder.arrived(20);
      // Written in reverse order: each wait must get its own key's event, not the first one.
      for (const name of [...names].reverse()) await writer.set({ key: ctx.key(name), value: name });
      const events = await Promise.all(waits);
      events.forEach((event, i) => {
        expect(event).toBeInstanceOf(SetResult);
        expect(event.key).toBe(ctx.key(`w${i}`));
        expect(event.value).toBe(`w${i}`);
      });
    });

    it('one AbortSignal shared by 50 calls: one listener at most, no warning, all reject with its reason', async () => {
      const warnings: Error[] = [];
      const onWarning = (warning: Error) => warnings.push(warning);
      process.on('warning', onWarning);
      try {
        const recorder = new Recorder();
        const adapter = await ctx.adapter({ layers: [recorder] });
        const controller = new AbortController();
        const { signal } = controller;
        // 50 calls that settle on their own leave nothing behind on the signal...
        await Promise.all(
          Array.from({ length: 50 }, (_, i) => adapter.set({ key: ctx.key(`s${i}`), value: 'x', signal })),
        );
        expect(getEventListeners(signal, 'abort')).toHaveLength(0);
        // ...and 50 pending waits on it add one listener at most.
        const waits = Array.from({ length: 50 }, (_, i) =>
          adapter.get({ key: ctx.key(`quiet${i}`), wait: true, signal }),
        );
        await recorder.arrived(100);
        expect(getEventListeners(signal, 'abort').length).toBeLessThanOrEqual(1);
        const reason = new Error('all of them');
        controller.abort(reason);
        const outcomes = await Promise.allSettled(waits);
        for (const outcome of outcomes) {
          expect(outcome.status).toBe('rejected');
          expect((outcome as PromiseRejectedResult).reason).toBe(reason);
        }
        // A warning is emitted on the next tick; give it one turn of the event loop.
        await new Promise((resolve) => setImmediate(resolve));
        expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([]);
      } finally {
        process.off('warning', onWarning);
      }
    });
  });
}

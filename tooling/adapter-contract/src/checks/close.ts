import { ClientClosed, OutcomeUnknown } from '@etc/protocol';
import { describe, expect, it } from 'vitest';
import { type ContractContext, rejection } from '../context.js';
import { HoldAnswers, Recorder, Stall } from '../test-layers.js';

/** `close()`: what happens to calls in flight and to later calls; idempotence. */
export function closeChecks(ctx: ContractContext): void {
  describe('close', () => {
    it('a pending wait rejects with ClientClosed', async () => {
      const recorder = new Recorder();
      const adapter = await ctx.adapter({ layers: [recorder] });
      const wait = adapter.get({ key: ctx.key('quiet'), wait: true });
      await recorder.arrived(1);
      await new Promise((resolve) => setImmediate(resolve));
      const outcome = rejection(wait); // handled before close() takes its time
      await adapter.close();
      const error = await outcome;
      expect(error).toBeInstanceOf(ClientClosed);
      expect(error).not.toBeInstanceOf(OutcomeUnknown);
    });

    it('a pending read rejects with ClientClosed', async () => {
      const stall = new Stall();
      const adapter = await ctx.adapter({ layers: [stall] });
      const read = adapter.get({ key: ctx.key('a') });
      await stall.arrived(1);
      const outcome = rejection(read); // handled before close() takes its time
      await adapter.close();
      const error = await outcome;
      expect(error).toBeInstanceOf(ClientClosed);
      expect(error).not.toBeInstanceOf(OutcomeUnknown);
    });

    it('a pending write rejects with OutcomeUnknown caused by ClientClosed', async () => {
      const stall = new Stall();
      const adapter = await ctx.adapter({ layers: [stall] });
      const write = adapter.set({ key: ctx.key('a'), value: 'x' });
      await stall.arrived(1);
      const outcome = rejection(write); // handled before close() takes its time
      await adapter.close();
      const error = await outcome;
      expect(error).toBeInstanceOf(OutcomeUnknown);
      expect((error as OutcomeUnknown).cause).toBeInstanceOf(ClientClosed);
    });

    it('a write that reached the server but whose answer is still pending is OutcomeUnknown', async () => {
      const hold = new HoldAnswers();
      const adapter = await ctx.adapter({ layers: [hold] });
      const write = adapter.append({ key: ctx.key('q'), value: 'x' });
      await hold.answered(1);
      const outcome = rejection(write); // handled before close() takes its time
      await adapter.close();
      const error = await outcome;
      expect(error).toBeInstanceOf(OutcomeUnknown);
      expect((error as OutcomeUnknown).cause).toBeInstanceOf(ClientClosed);
      hold.release();
    });

    it('every call after close() rejects with ClientClosed, without reaching the layers below', async () => {
      const recorder = new Recorder();
      const adapter = await ctx.adapter({ layers: [recorder] });
      await adapter.close();
      const key = ctx.key('a');
      const calls = [
        adapter.get({ key }),
        adapter.get({ key, wait: true }),
        adapter.set({ key, value: 'x' }),
        adapter.append({ key, value: 'x' }),
        adapter.delete({ key }),
      ];
      for (const call of calls) {
        const error = await rejection(call);
        expect(error).toBeInstanceOf(ClientClosed);
        expect(error).not.toBeInstanceOf(OutcomeUnknown);
      }
      expect(recorder.seen).toEqual([]);
    });

    it('close() is idempotent: concurrent and repeated calls all resolve', async () => {
      const adapter = await ctx.adapter();
      await adapter.set({ key: ctx.key('a'), value: '1' });
      await expect(Promise.all([adapter.close(), adapter.close()])).resolves.toBeDefined();
      await expect(adapter.close()).resolves.toBeUndefined();
      await expect(adapter.get({ key: ctx.key('a') })).rejects.toBeInstanceOf(ClientClosed);
    });
  });
}

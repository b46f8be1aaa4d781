import { getEventListeners } from 'node:events';
import { KeyNotFound } from '@etc/protocol';
import { describe, expect, it } from 'vitest';
import type { ContractContext } from '../context.js';
import { Recorder, Stall } from '../test-layers.js';

/** A call's `signal`: aborting rejects the call with the signal's own reason object. */
export function abortChecks(ctx: ContractContext): void {
  describe('abort', () => {
    it('a signal aborted before the call rejects it with the signal reason and sends nothing', async () => {
      const recorder = new Recorder();
      const adapter = await ctx.adapter({ layers: [recorder] });
      const key = ctx.key('a');
      const reason = new Error('stop before');
      const signal = AbortSignal.abort(reason);
      await expect(adapter.set({ key, value: 'x', signal })).rejects.toBe(reason);
      await expect(adapter.append({ key: ctx.key('q'), value: 'x', signal })).rejects.toBe(reason);
      await expect(adapter.delete({ key, signal })).rejects.toBe(reason);
      await expect(adapter.get({ key, signal })).rejects.toBe(reason);
      await expect(adapter.get({ key, wait: true, signal })).rejects.toBe(reason);
      // abort() without a reason: the DOMException the signal made, the same object.
      const bare = AbortSignal.abort();
      await expect(adapter.set({ key, value: 'x', signal: bare })).rejects.toBe(bare.reason);
      expect(recorder.seen).toEqual([]);
      await expect(adapter.get({ key })).rejects.toBeInstanceOf(KeyNotFound);
      await expect(adapter.get({ key: ctx.key('q') })).rejects.toBeInstanceOf(KeyNotFound);
    });

    it('aborting a pending wait rejects it with the same reason object and leaves no listener', async () => {
      const recorder = new Recorder();
      const adapter = await ctx.adapter({ layers: [recorder] });
      const controller = new AbortController();
      const wait = adapter.get({ key: ctx.key('quiet'), wait: true, signal: controller.signal });
      await recorder.arrived(1);
      await new Promise((resolve) => setImmediate(resolve));
      const reason = { why: 'not an Error: any value is a reason' };
      controller.abort(reason);
      await expect(wait).rejects.toBe(reason);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });

    it('aborting a pending write rejects it with the signal reason', async () => {
      const stall = new Stall();
      const adapter = await ctx.adapter({ layers: [stall] });
      const controller = new AbortController();
      const write = adapter.set({ key: ctx.key('a'), value: 'x', signal: controller.signal });
      await stall.arrived(1);
      const reason = new Error('changed my mind');
      controller.abort(reason);
      await expect(write).rejects.toBe(reason);
    });

    it('a signal that is never aborted leaves no listener once the call settled', async () => {
      const adapter = await ctx.adapter();
      const controller = new AbortController();
      const { signal } = controller;
      await adapter.set({ key: ctx.key('a'), value: '1', signal });
      await adapter.get({ key: ctx.key('a'), signal });
      await expect(adapter.get({ key: ctx.key('none'), signal })).rejects.toBeInstanceOf(KeyNotFound);
      expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    });
  });
}

import { ClientClosed, ConnectionError, Got, OutcomeUnknown, TimedOut } from '@etc/protocol';
import { describe, expect, it } from 'vitest';
import { type ContractContext, rejection } from '../context.js';
import { FailFirst, Recorder, Stall } from '../test-layers.js';

/**
 * The adapter's `layers` option: the user's layers run on every call, in array order (the first is
 * the outermost), inside the close and deadline layers.
 */
export function userLayerChecks(ctx: ContractContext): void {
  describe('user layers', () => {
    it('a fault-injection layer fails the first call with its ConnectionError; the next goes through', async () => {
      const fault = new FailFirst(1, (call) => new ConnectionError(`injected into ${call.operation}`));
      const adapter = await ctx.adapter({ layers: [fault] });
      const key = ctx.key('a');
      const first = await rejection(adapter.set({ key, value: '1' }));
      expect(first).toBe(fault.thrown[0]);
      expect(first).toBeInstanceOf(ConnectionError);
      expect((first as Error).message).toBe('injected into set');
      expect((await adapter.set({ key, value: '1' })).value).toBe('1');
      expect(await adapter.get({ key })).toBeInstanceOf(Got);
    });

    it('user layers run in array order, first outermost', async () => {
      const trail: string[] = [];
      const outer = new Recorder('outer', trail);
      const inner = new Recorder('inner', trail);
      const adapter = await ctx.adapter({ layers: [outer, inner] });
      await adapter.set({ key: ctx.key('a'), value: '1' });
      expect(trail).toEqual(['outer:in', 'inner:in', 'inner:out', 'outer:out']);
    });

    it('user layers run inside the deadline: they see the resolved timeout of each call', async () => {
      const recorder = new Recorder();
      const adapter = await ctx.adapter({ layers: [recorder], timeout: 5_000 });
      const key = ctx.key('a');
      const written = await adapter.set({ key, value: '1', timeout: 7_000 });
      await adapter.get({ key });
      // From the write's own index: answered at once from the history.
      await adapter.get({ key, wait: true, waitIndex: written.modifiedIndex });
      expect(recorder.seen).toEqual([
        { operation: 'set', kind: 'write', timeout: 7_000 },
        { operation: 'get', kind: 'read', timeout: 5_000 },
        { operation: 'get', kind: 'wait', timeout: Number.POSITIVE_INFINITY },
      ]);
    });

    it('a layer that never settles is still bounded by the timeout, the signal and close()', async () => {
      const adapter = await ctx.adapter({ layers: [new Stall()] });
      const read = await rejection(adapter.get({ key: ctx.key('a'), timeout: 300 }));
      expect(read).toBeInstanceOf(TimedOut);
      const reason = new Error('aborted');
      await expect(
        adapter.get({ key: ctx.key('a'), signal: AbortSignal.timeout(300) }),
      ).rejects.toBeInstanceOf(DOMException);
      const controller = new AbortController();
      const aborted = adapter.get({ key: ctx.key('a'), signal: controller.signal });
      controller.abort(reason);
      await expect(aborted).rejects.toBe(reason);
      const wait = adapter.get({ key: ctx.key('a'), wait: true });
      const write = adapter.set({ key: ctx.key('a'), value: 'x' });
      const outcomes = [rejection(wait), rejection(write)]; // handled before close() takes its time
      await adapter.close();
      expect(await outcomes[0]).toBeInstanceOf(ClientClosed);
      expect(await outcomes[1]).toBeInstanceOf(OutcomeUnknown);
    });
  });
}

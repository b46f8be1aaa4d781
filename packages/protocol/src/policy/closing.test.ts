import { describe, expect, it } from 'vitest';
import type { CallOptions } from '../adapter.js';
import { ClientClosed, OutcomeUnknown } from '../errors.js';
import { Call, type CallKind } from './call.js';
import { Closing } from './closing.js';
import { deadline } from './deadline.js';
import { compose, type Send } from './layer.js';

/** A core that never answers; it records what reached it. */
function stuckCore(): Send & { calls: Call[] } {
  const calls: Call[] = [];
  return Object.assign(
    (call: Call) => {
      calls.push(call);
      return new Promise<never>(() => {});
    },
    { calls },
  );
}

function newCall(kind: CallKind, request: CallOptions = {}): Call {
  return new Call(kind === 'write' ? 'append' : 'get', request, kind);
}

/** Close and deadline composed as every adapter composes them. */
function adapterLike(core: Send) {
  const closing = new Closing(() => 'http://adapter');
  return { closing, send: compose(core, [closing, deadline({ timeout: Number.POSITIVE_INFINITY })]) };
}

describe('Closing', () => {
  it('cuts off a pending read and wait with ClientClosed, a pending write with OutcomeUnknown caused by it', async () => {
    const { closing, send } = adapterLike(stuckCore());
    const read = newCall('read');
    const wait = newCall('wait');
    const write = newCall('write');
    write.endpoint = 'http://member-b';
    const results = [send(read), send(wait), send(write)].map((p) => p.catch((e: unknown) => e));
    expect(closing.pending).toBe(3);
    closing.close();
    const [readError, waitError, writeError] = await Promise.all(results);
    for (const error of [readError, waitError]) {
      expect(error).toBeInstanceOf(ClientClosed);
      expect(error).not.toBeInstanceOf(OutcomeUnknown);
      expect((error as ClientClosed).endpoint).toBe('http://adapter');
    }
    expect(writeError).toBeInstanceOf(OutcomeUnknown);
    expect((writeError as OutcomeUnknown).cause).toBeInstanceOf(ClientClosed);
    expect((writeError as OutcomeUnknown).endpoint).toBe('http://member-b');
    expect((writeError as Error).message).toContain('the append may or may not have been applied');
    expect(read.aborted && wait.aborted && write.aborted).toBe(true);
    expect(closing.pending).toBe(0);
  });

  it('rejects every later call with ClientClosed without passing it on', async () => {
    const core = stuckCore();
    const { closing, send } = adapterLike(core);
    closing.close();
    expect(closing.closed).toBe(true);
    for (const kind of ['read', 'wait', 'write'] as const) {
      const error = await send(newCall(kind)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClientClosed);
      expect(error).not.toBeInstanceOf(OutcomeUnknown);
    }
    expect(core.calls).toEqual([]);
    expect(closing.closedError()).toMatchObject({ endpoint: 'http://adapter' });
  });

  it('is idempotent: a second close() changes nothing', async () => {
    const { closing, send } = adapterLike(stuckCore());
    const call = newCall('read');
    const result = send(call).catch((e: unknown) => e);
    closing.close();
    const reason = call.reason;
    closing.close();
    expect(call.reason).toBe(reason);
    expect(await result).toBe(reason);
  });

  it('leaves calls that already settled alone, and forgets them', async () => {
    const closing = new Closing(() => 'mock://x');
    const send = compose(async (call) => call.operation, [closing]);
    const call = newCall('read');
    await expect(send(call)).resolves.toBe('get');
    expect(closing.pending).toBe(0);
    closing.close();
    expect(call.aborted).toBe(false);
  });

  it('forgets a call that failed, too', async () => {
    const closing = new Closing(() => 'mock://x');
    const failure = new Error('no');
    const send = compose(() => Promise.reject(failure), [closing]);
    await expect(send(newCall('write'))).rejects.toBe(failure);
    expect(closing.pending).toBe(0);
  });
});

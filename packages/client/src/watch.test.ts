import { ConnectionRefused, EventIndexCleared, Got, Node, Unauthorized } from '@etc/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Client } from './client.js';
import { result, ScriptedAdapter, tick } from './scripted-adapter.js';

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

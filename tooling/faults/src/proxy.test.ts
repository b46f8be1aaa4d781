/**
 * A TCP proxy between the client and a real etcd that stalls, resets and drops: every failure is a
 * typed error, in bounded time, and a write whose answer was lost is shown to have been applied.
 */
import { type Client, ConnectionError, etcd, OutcomeUnknown, TimedOut, Value } from '@etc/client';
import { startProxy, type TcpProxy } from '@etc/etcd-launcher';
import { failure } from '@etc/vitest-config/test-support';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { eventually, Recorder, sleep } from './support.js';

const etcdUrl = inject('etcdUrl');
const base = `/faults-proxy/${process.pid}`;
let direct: Client;
let proxy: TcpProxy;
let client: Client;

beforeAll(() => {
  direct = etcd(etcdUrl, { timeout: 10_000 });
});
afterAll(async () => {
  await direct.delete(base, { recursive: true }).catch(() => undefined);
  await direct.close();
});
beforeEach(async () => {
  const target = new URL(etcdUrl);
  proxy = await startProxy(target.hostname, Number(target.port));
  client = etcd(proxy.url, { timeout: 10_000 });
});
afterEach(async () => {
  await client.close();
  await proxy.close();
});

/** How many watches etcd holds now (its store statistics; other test files may hold some too). */
async function watchers(): Promise<number> {
  const response = await fetch(new URL('/v2/stats/store', etcdUrl));
  return ((await response.json()) as { watchers: number }).watchers;
}

describe('a proxy that stalls', () => {
  it('makes reads and waits with a timeout reject with TimedOut (writes: OutcomeUnknown) instead of hanging', async () => {
    await client.set(`${base}/stall`, 'before');
    proxy.stall();
    const read = await failure(client.get(`${base}/stall`, { timeout: 300 }));
    expect(read).toBeInstanceOf(TimedOut);
    expect(read).toMatchObject({ timeout: 300, endpoint: proxy.url });
    const write = await failure(client.set(`${base}/stall`, 'during', { timeout: 300 }));
    expect(write).toBeInstanceOf(OutcomeUnknown);
    expect((write as Error).cause).toBeInstanceOf(TimedOut);
    expect(await failure(client.wait(`${base}/stall`, { timeout: 300 }))).toBeInstanceOf(TimedOut);
    proxy.resetAll();
    proxy.resume();
    // The stalled write never left the proxy.
    expect((await direct.get(`${base}/stall`)).value).toBe('before');
    // The client works again once it has noticed its reset connections (a read on one that it has
    // not noticed yet fails with a ConnectionError, like any read on a broken connection).
    const again = await eventually(() => client.get(`${base}/stall`), 5_000);
    expect(again.value).toBe('before');
  });
});

describe('a proxy that resets connections', () => {
  it('re-issues a wait reset mid-body once, so it still gets its event', async () => {
    const key = `${base}/reset-once`;
    const start = await direct.set(key, 'x');
    // A wait's headers come at once and its body stays open: reset it mid-body, once.
    const before = await watchers();
    const once = client.wait(key, { index: start.etcdIndex + 1, timeout: 10_000 });
    // Reset once etcd holds the wait (its headers are on their way). The re-issued wait resumes at
    // the same index, so the write below reaches it whether it lands before or after the re-issue.
    await eventually(async () => expect(await watchers()).toBeGreaterThan(before), 5_000);
    proxy.resetAll();
    const write = await direct.set(key, 'y');
    expect((await once).index).toBe(write.index);
  });

  it('gives a read ConnectionError (not OutcomeUnknown) when its connection keeps being reset', async () => {
    const key = `${base}/reset-read`;
    const start = await direct.set(key, 'x');
    const settled = async (pending: Promise<unknown>): Promise<unknown> => {
      let done = false;
      const result = pending.finally(() => {
        done = true;
      });
      // Reset until the call gives up: its first attempt and the one retry on a fresh connection.
      for (let i = 0; i < 50 && !done; i++) {
        await sleep(100);
        proxy.resetAll();
      }
      return result;
    };
    const error = await settled(failure(client.wait(key, { index: start.etcdIndex + 1 })));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).not.toBeInstanceOf(OutcomeUnknown);
    // And a plain read held by a stall, then reset.
    proxy.stall();
    const readError = await settled(failure(client.get(key)));
    expect(readError).toBeInstanceOf(ConnectionError);
    expect(readError).not.toBeInstanceOf(OutcomeUnknown);
    proxy.resume();
  });

  it('gives a write OutcomeUnknown when its connection is reset before the answer', async () => {
    const key = `${base}/reset-write`;
    await client.get('/').catch(() => undefined);
    proxy.stall();
    const sent = proxy.received;
    const write = failure(client.set(key, 'maybe'));
    // Reset only once the request has left the client: before that, it is not OutcomeUnknown.
    await eventually(async () => expect(proxy.received).toBeGreaterThan(sent), 5_000);
    proxy.resetAll();
    const error = await write;
    expect(error).toBeInstanceOf(OutcomeUnknown);
    expect((error as Error).message).toMatch(/may or may not have been applied/);
    proxy.resume();
  });
});

describe('a proxy that drops the answer of a request it delivered', () => {
  it('gives OutcomeUnknown for a write that etcd did apply, so a blind retry would be wrong', async () => {
    const key = `${base}/dropped`;
    const before = await direct.set(key, 'before');
    proxy.resetAll();
    proxy.dropAfterRequest();
    const error = await failure(client.set(key, 'applied', { prevValue: 'before' }));
    expect(error).toBeInstanceOf(OutcomeUnknown);
    // The client learnt nothing, but etcd got the request: its next change of the key is this write
    // (it may land a moment after the client gave up, hence a wait rather than a get).
    const next = await direct.wait(key, {
      index: (before.node.modifiedIndex as number) + 1,
      timeout: 10_000,
    });
    expect(next.action).toBe('compareAndSwap');
    expect(next.value).toBe('applied');
    const now = await direct.get(key);
    expect(now.node).toBeInstanceOf(Value);
    expect(now.value).toBe('applied');
    // Sending the same compare-and-swap again would fail (or, for a plain set, apply twice).
    await expect(client.set(key, 'applied', { prevValue: 'before' })).rejects.toMatchObject({
      errorCode: 101,
    });
  });

  it('lets a watch through the proxy go on after its connection is dropped', async () => {
    const key = `${base}/watched`;
    const start = await direct.set(key, 'start');
    const before = await watchers();
    const recorder = new Recorder(client, key, { index: start.etcdIndex + 1 });
    // Reset once its poll has gone through the proxy and is waiting in etcd.
    await eventually(async () => expect(await watchers()).toBeGreaterThan(before), 5_000, 20);
    expect(proxy.accepted).toBe(1);
    proxy.resetAll();
    const set = await direct.set(key, 'after-reset');
    await eventually(async () => expect(recorder.events).toHaveLength(1), 5_000, 20);
    expect(recorder.events.map((e) => [e.node.modifiedIndex, e.value])).toEqual([
      [set.node.modifiedIndex, 'after-reset'],
    ]);
    expect(proxy.accepted).toBeGreaterThan(1);
  });
});

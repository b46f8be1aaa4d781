/**
 * A live watch whose poll is held back while more than 1000 writes happen elsewhere: when it comes
 * back, etcd (or the mock) has cleared the history it needs (401), so the watch yields a snapshot
 * `Got` and then goes on with the following events.
 */
import {
  type Adapter,
  type AppendRequest,
  Client,
  ConnectionError,
  type DeleteRequest,
  type EtcdResult,
  etcd,
  type GetRequest,
  Got,
  type SetRequest,
} from '@etc/client';
import { startProxy } from '@etc/etcd-launcher';
import { MockAdapter, MockStore, mockEtcd } from '@etc/mock';
import { describe, expect, inject, it } from 'vitest';
import { eventually, Recorder, sleep } from './support.js';

/**
 * An adapter that behaves like a network that breaks and stalls for waits only: `shut()` cuts the
 * waits in flight (they reject with `ConnectionError`, like a reset connection) and holds every
 * later wait back until `open()`. Other calls pass straight through.
 */
class GateAdapter implements Adapter {
  readonly url: string;
  #open = true;
  #waiting: (() => void)[] = [];
  readonly #inFlight = new Set<AbortController>();

  constructor(readonly inner: Adapter) {
    this.url = inner.url;
  }

  close(): Promise<void> {
    this.open();
    return this.inner.close();
  }

  /** Cuts the waits in flight and holds back waits from now on. */
  shut(): void {
    this.#open = false;
    for (const controller of this.#inFlight) controller.abort(new ConnectionError('the gate cut this wait'));
  }

  /** Lets held and later waits through. */
  open(): void {
    this.#open = true;
    for (const release of this.#waiting.splice(0)) release();
  }

  /** The number of waits held back now. */
  get held(): number {
    return this.#waiting.length;
  }

  async get(request: GetRequest): Promise<EtcdResult> {
    if (!request.wait) return this.inner.get(request);
    if (!this.#open) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    const controller = new AbortController();
    const { signal } = request;
    const follow = () => controller.abort(signal?.reason);
    if (signal?.aborted) follow();
    signal?.addEventListener('abort', follow);
    this.#inFlight.add(controller);
    try {
      return await this.inner.get({ ...request, signal: controller.signal });
    } finally {
      this.#inFlight.delete(controller);
      signal?.removeEventListener('abort', follow);
    }
  }

  set(request: SetRequest): Promise<EtcdResult> {
    return this.inner.set(request);
  }

  append(request: AppendRequest): Promise<EtcdResult> {
    return this.inner.append(request);
  }

  delete(request: DeleteRequest): Promise<EtcdResult> {
    return this.inner.delete(request);
  }
}

/** Sets `count` keys under `dir`, `parallel` at a time. */
async function writeMany(client: Client, dir: string, count: number, parallel: number): Promise<void> {
  for (let i = 0; i < count; i += parallel) {
    const batch = Array.from({ length: Math.min(parallel, count - i) }, (_, j) =>
      client.set(`${dir}/${(i + j) % 50}`, `${i + j}`),
    );
    await Promise.all(batch);
  }
}

/** Waits (bounded) until the recorder holds `count` items. */
function until(recorder: Recorder, count: number): Promise<void> {
  return eventually(async () => {
    if (recorder.error) throw recorder.error;
    if (recorder.events.length < count)
      throw new Error(`watch has ${recorder.events.length} of ${count} items`);
  }, 20_000);
}

/** The checks common to both backends, after the snapshot and one more write. */
function checkSnapshot(recorder: Recorder, first: EtcdResult, cleared: number, next: EtcdResult): void {
  const [seen, snapshot, following, ...rest] = recorder.events;
  expect(rest).toEqual([]);
  expect(seen?.node.modifiedIndex).toBe(first.node.modifiedIndex);
  expect(snapshot).toBeInstanceOf(Got);
  expect(snapshot?.value).toBe('one');
  expect(snapshot?.etcdIndex).toBeGreaterThanOrEqual(cleared);
  expect(following?.action).toBe('set');
  expect(following?.value).toBe('two');
  expect(following?.node.modifiedIndex).toBe(next.node.modifiedIndex);
}

describe('history cleared under a live watch', () => {
  it('yields a snapshot Got, then the following events, on the mock', async () => {
    const store = new MockStore();
    const gate = new GateAdapter(new MockAdapter({ store }));
    const watcher = new Client(gate);
    const writer = mockEtcd({ store });
    try {
      const start = await writer.set('/h/k', 'zero');
      const recorder = new Recorder(watcher, '/h/k', { index: start.etcdIndex + 1 });
      const first = await writer.set('/h/k', 'one');
      await until(recorder, 1);
      gate.shut();
      await eventually(async () => {
        if (gate.held === 0) throw new Error('the next poll has not been held yet');
      }, 5_000);
      await writeMany(writer, '/elsewhere', 1_100, 50);
      const cleared = (await writer.get('/')).etcdIndex;
      gate.open();
      await until(recorder, 2);
      const next = await writer.set('/h/k', 'two');
      await until(recorder, 3);
      checkSnapshot(recorder, first, cleared, next);
    } finally {
      await watcher.close();
      await writer.close();
      store.close();
    }
  });

  it('yields a snapshot Got, then the following events, on a real etcd behind a stalled proxy', async () => {
    const target = new URL(inject('etcdUrl'));
    const proxy = await startProxy(target.hostname, Number(target.port));
    const watcher = etcd(proxy.url);
    const writer = etcd(target.origin);
    const base = `/faults-history/${process.pid}`;
    try {
      const start = await writer.set(`${base}/k`, 'zero');
      const recorder = new Recorder(watcher, `${base}/k`, { index: start.etcdIndex + 1 });
      const first = await writer.set(`${base}/k`, 'one');
      await until(recorder, 1);
      proxy.stall();
      await writeMany(writer, `${base}/elsewhere`, 1_100, 50);
      const cleared = (await writer.get(base)).etcdIndex;
      // The held poll dies with its connection; the watch polls again from its old index.
      proxy.resetAll();
      proxy.resume();
      await until(recorder, 2);
      const next = await writer.set(`${base}/k`, 'two');
      await until(recorder, 3);
      checkSnapshot(recorder, first, cleared, next);
      await sleep(0);
    } finally {
      await watcher.close();
      await writer.delete(base, { recursive: true }).catch(() => undefined);
      await writer.close();
      await proxy.close();
    }
  }, 60_000);
});

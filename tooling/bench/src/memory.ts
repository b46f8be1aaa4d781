import { setMaxListeners } from 'node:events';
import type { Client } from '@etc/client';
import { Pool } from 'undici';

/** Heap in use after a full collection (needs `--expose-gc`), in bytes. */
export async function settledHeap(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

/**
 * Memory of `count` watchers of one key: `etc` watches (sharing one long poll) against the same
 * number of bare undici long polls (one connection each). Resolves with bytes per watcher of each.
 */
export async function watchMemory(
  url: string,
  client: Client,
  key: string,
  count: number,
): Promise<{ bare: number; etc: number }> {
  const start = (await client.get(key)).etcdIndex + 1;

  const before = await settledHeap();
  const pool = new Pool(url);
  const controller = new AbortController();
  // The bare side shares one signal among all its requests, as undici allows; raise Node's
  // listener limit for it so the run prints no MaxListenersExceededWarning (etc's watches share
  // one listener per signal and need no such thing).
  setMaxListeners(count + 10, controller.signal);
  const polls = Array.from({ length: count }, () =>
    pool
      .request({
        method: 'GET',
        path: `/v2/keys${key}?wait=true&waitIndex=${start}`,
        signal: controller.signal,
      })
      .then((r) => r.body.text())
      .catch(() => undefined),
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  const bare = (await settledHeap()) - before;
  controller.abort();
  await Promise.all(polls);
  await pool.destroy();

  const beforeEtc = await settledHeap();
  const stop = new AbortController();
  const watches = Array.from({ length: count }, () =>
    client.watch(key, { index: start, signal: stop.signal }),
  );
  const pending = watches.map((watch) => watch.next());
  await new Promise((resolve) => setTimeout(resolve, 500));
  const etc = (await settledHeap()) - beforeEtc;
  stop.abort();
  await Promise.all(pending);
  return { bare: bare / count, etc: etc / count };
}

/** Heap retained per call after `count` sequential gets (a leak shows as a steady positive number). */
export async function retainedPerGet(client: Client, key: string, count: number): Promise<number> {
  for (let i = 0; i < 500; i++) await client.get(key);
  const before = await settledHeap();
  for (let i = 0; i < count; i++) await client.get(key);
  return ((await settledHeap()) - before) / count;
}

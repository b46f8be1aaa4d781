import { type Client, Directory, KeyNotFound, type Value } from '@etc/client';
import { Keeper, notify } from './keeper.js';
import { LeaseLost } from './lease-lost.js';
import type { LeaseOptions, LeaseTiming } from './options.js';
import { backoff, isTransient, monotonic, sleep } from './timing.js';

/** A place at the head of a queue: the keeper of our key and the etcd index at which it was first. */
export interface QueueHead {
  keeper: Keeper;
  key: string;
  etcdIndex: number;
}

/**
 * Joins the queue `dir` as an in-order key with a kept-alive TTL and waits until that key is the
 * lowest live one, watching only the key just before it. A key lost while waiting (expired,
 * deleted) is given up and the queue joined again at its end. Aborting `signal` removes the queued
 * key and rejects with the signal's reason; an etcd error that retrying cannot fix rejects with it.
 */
export async function reachHead(
  client: Client,
  dir: string,
  value: string,
  timing: LeaseTiming,
  options: LeaseOptions,
): Promise<QueueHead> {
  const { signal, onEvent } = options;
  for (let failures = 0; ; ) {
    signal?.throwIfAborted();
    const sentAt = monotonic();
    let node: Value;
    try {
      node = (await client.append(dir, value, { ttl: timing.ttl, timeout: timing.ttlMs })).node as Value;
    } catch (error) {
      if (!isTransient(error)) throw error;
      notify(onEvent, { type: 'error', error });
      await sleep(backoff(failures++, 2_000), signal);
      continue;
    }
    failures = 0;
    const keeper = new Keeper({ client, key: node.key, value, timing, recreate: false, onEvent });
    keeper.start({ node, sentAt });
    let etcdIndex: number | undefined;
    try {
      etcdIndex = await waitTurn(client, dir, node.key, keeper, timing, options);
    } catch (error) {
      await keeper.stop();
      throw error;
    }
    if (etcdIndex !== undefined) return { keeper, key: node.key, etcdIndex };
    await keeper.stop();
    const reason: unknown = keeper.lost.reason;
    if (reason instanceof LeaseLost && reason.reason === 'failed') throw reason;
  }
}

/** Waits until `own` is the lowest key of `dir`; `undefined` when our key was lost on the way. */
async function waitTurn(
  client: Client,
  dir: string,
  own: string,
  keeper: Keeper,
  timing: LeaseTiming,
  { signal, onEvent }: LeaseOptions,
): Promise<number | undefined> {
  const stop = signal ? AbortSignal.any([signal, keeper.lost]) : keeper.lost;
  for (let failures = 0; ; ) {
    signal?.throwIfAborted();
    if (keeper.lost.aborted) return undefined;
    let keys: string[];
    let etcdIndex: number;
    try {
      const listing = await client.get(dir, {
        sorted: true,
        quorum: true,
        timeout: timing.ttlMs,
        signal: stop,
      });
      keys = listing.node instanceof Directory ? listing.node.nodes.map((child) => child.key).sort() : [];
      etcdIndex = listing.etcdIndex;
    } catch (error) {
      signal?.throwIfAborted();
      if (keeper.lost.aborted || error instanceof KeyNotFound) return undefined;
      if (!isTransient(error)) throw error;
      notify(onEvent, { type: 'error', error });
      await sleep(backoff(failures++, 2_000), stop);
      continue;
    }
    failures = 0;
    const position = keys.indexOf(own);
    if (position < 0) return undefined;
    if (position === 0) {
      if (keeper.lost.aborted || keeper.state !== 'kept' || keeper.remaining <= 0) return undefined;
      return etcdIndex;
    }
    await waitForChange(client, keys[position - 1] as string, etcdIndex + 1, stop);
  }
}

/** Resolves at the first change of `key` at or after `index` (a snapshot after a cleared history counts), or on abort. */
async function waitForChange(client: Client, key: string, index: number, signal: AbortSignal): Promise<void> {
  const watch = client.watch(key, { index, signal });
  try {
    await watch.next();
  } catch {
    // A watch that failed for good: read the queue again after a pause.
    await sleep(backoff(4, 2_000), signal);
  } finally {
    await watch.return();
  }
}

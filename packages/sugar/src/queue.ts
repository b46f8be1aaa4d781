import { type Client, classifyFailure, Directory, KeyNotFound, mayRetry, type Value } from '@etc/client';
import { Keeper, notify } from './keeper.js';
import { LeaseLost } from './lease-lost.js';
import type { LeaseOptions, LeaseTiming } from './options.js';
import { monotonic, pause, sleep } from './timing.js';

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
      if (!mayJoinAgain(error)) throw error;
      notify(onEvent, { type: 'error', error });
      await sleep(pause(failures++, 2_000), signal);
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

/**
 * True when joining the queue may be tried again after the `append` failed with `error`. An append
 * is not idempotent, so this is never a re-send of the same write: each attempt creates a new key.
 * When the failed one may have been applied (`OutcomeUnknown`, a 5xx or etcd 300/301, an answer
 * that is not etcd's), its key may exist without this process knowing its name: an orphan that
 * nobody refreshes. It is never adopted (another process may have appended the same value), so it
 * can never make two holders; it stays in the queue until its TTL runs out, delaying those behind
 * it by at most one TTL. When the append certainly was not applied (refused, another cluster), the
 * new attempt is a plain retry. Never after `close()` (`ClientClosed`) or an etcd error.
 */
function mayJoinAgain(error: unknown): boolean {
  switch (classifyFailure(error)) {
    case 'outcome-unknown':
    case 'unavailable':
    case 'garbled':
    case 'network':
    case 'mismatch':
      return true;
    default:
      return false;
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
      if (!mayRetry(error, false)) throw error;
      notify(onEvent, { type: 'error', error });
      await sleep(pause(failures++, 2_000), stop);
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
    await sleep(pause(4, 2_000), signal);
  } finally {
    await watch.return();
  }
}

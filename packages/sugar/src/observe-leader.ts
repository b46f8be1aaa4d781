import {
  type Client,
  Directory,
  type EtcdResult,
  isBelow,
  KeyNotFound,
  mayRetry,
  normalizeKey,
  Value,
} from '@etc/client';
import { pause, sleep } from './timing.js';

/** Options of {@link observeLeader}. */
export interface ObserveLeaderOptions {
  /** Aborting ends the iteration. */
  signal?: AbortSignal | undefined;
}

const removals = new Set(['delete', 'expire', 'compareAndDelete']);

/**
 * Yields the value of the election `key`'s current leader (its lowest live in-order key), or
 * `undefined` when there is none: once at the start, then at every change of leader or of the
 * leader's value. Waiting candidates joining or leaving wake the watch but yield nothing. A cleared
 * history (401) is bridged by the watch's snapshot. Ends on `break`, `signal` abort or
 * `client.close()`; network errors are retried; other etcd errors reject the iteration, as do
 * failures that are not the network's (answers that are not etcd's, a 5xx) once they have lasted
 * the watch's default `giveUpAfter` (30 s).
 */
export async function* observeLeader(
  client: Client,
  key: string,
  options: ObserveLeaderOptions = {},
): AsyncGenerator<string | undefined, void, undefined> {
  const dir = normalizeKey(key);
  const { signal } = options;
  const candidates = new Map<string, string>();
  const start = await list(client, dir, candidates, signal);
  if (start === undefined) return;
  let leader = leaderOf(candidates);
  yield leader?.[1];
  for await (const event of client.watch(dir, { recursive: true, index: start + 1, signal })) {
    apply(dir, candidates, event);
    const next = leaderOf(candidates);
    if (next?.[0] !== leader?.[0] || next?.[1] !== leader?.[1]) {
      leader = next;
      yield leader?.[1];
    }
  }
}

/** Reads the candidates into `into`; resolves with the etcd index of the read, `undefined` on abort. */
async function list(
  client: Client,
  dir: string,
  into: Map<string, string>,
  signal: AbortSignal | undefined,
): Promise<number | undefined> {
  for (let failures = 0; !signal?.aborted; failures++) {
    try {
      const got = await client.get(dir, { sorted: true, quorum: true, signal });
      fill(into, got);
      return got.etcdIndex;
    } catch (error) {
      if (signal?.aborted) return undefined;
      if (error instanceof KeyNotFound) return error.index;
      if (!mayRetry(error, false)) throw error;
      await sleep(pause(failures, 2_000), signal);
    }
  }
  return undefined;
}

function fill(into: Map<string, string>, snapshot: EtcdResult): void {
  into.clear();
  if (!(snapshot.node instanceof Directory)) return;
  for (const child of snapshot.node.nodes) if (child instanceof Value) into.set(child.key, child.value);
}

function apply(dir: string, candidates: Map<string, string>, event: EtcdResult): void {
  if (event.action === 'get') {
    fill(candidates, event);
    return;
  }
  const node = event.node;
  // The election directory itself, or a directory above it (whose removal reaches this watch).
  if (node.key === dir || isBelow(dir, node.key)) {
    if (removals.has(event.action)) candidates.clear();
    return;
  }
  // Only the candidates (direct children) count; the watch also reports deeper keys.
  if (!isBelow(node.key, dir) || node.key.indexOf('/', dir === '/' ? 1 : dir.length + 1) >= 0) return;
  if (removals.has(event.action)) candidates.delete(node.key);
  else if (node instanceof Value) candidates.set(node.key, node.value);
  else candidates.delete(node.key);
}

function leaderOf(candidates: Map<string, string>): [string, string] | undefined {
  let lowest: [string, string] | undefined;
  for (const entry of candidates) if (lowest === undefined || entry[0] < lowest[0]) lowest = entry;
  return lowest;
}

import type { Client, EtcdResult } from '@etc/client';
import type { ImportNode, V3Adapter } from '@etc/transport-v3';
import { ChangeFeed } from './change-feed.js';

/**
 * The key `--follow` sets in the source when it is stopped (a hidden key with a 60 s TTL, deleted
 * again at once): every write acknowledged before the stop has a smaller index, and a v2 wait from
 * behind it is answered from etcd's history, so the last changes are read without waiting.
 */
export const FOLLOW_MARKER = '/_etcctl-migrate-follow';

/** What following did. */
export interface FollowResult {
  /** Changes applied to the target. */
  applied: number;
  /** Every change of the source up to this etcd index is in the target. */
  index: number;
  /** Times etcd's history no longer reached back (401) and the tree was read and copied again. */
  resnapshots: number;
  /** False when the marker could not be written: changes of the last moments may be missing. */
  drained: boolean;
}

/** What `follow()` needs from the command. */
export interface FollowWork {
  source: Client;
  target: V3Adapter;
  /** The feed started right after the snapshot (it holds the changes made during the copy). */
  feed: ChangeFeed;
  /** The snapshot's etcd index. */
  from: number;
  /** Aborted by SIGINT/SIGTERM: the changes read are applied, the rest drained, then it resolves. */
  signal: AbortSignal;
  /** How long the final reads may take (milliseconds). */
  timeout: number;
  /** Applies one change to the target (`applyV2Change`). */
  apply: (change: { action: string; node: ImportNode }) => Promise<unknown>;
  /** Reads the tree again and copies it (stale keys deleted); resolves with the snapshot's index. */
  resnapshot: (clearedAfter: number) => Promise<number>;
  /** Called after each change applied. */
  onApplied?: ((applied: number, index: number) => void) | undefined;
  /** Told what went wrong with the marker (the stop is then not exact). */
  warn: (line: string) => void;
}

/** Whether `key` has a hidden (`_`) segment: v2 listings, and so the snapshot, leave it out. */
const hidden = (key: string) => key.includes('/_');

const isHistoryCleared = (error: unknown) => (error as { errorCode?: unknown })?.errorCode === 401;

/**
 * Applies the v2 changes after the snapshot to the target, in order, until `signal` aborts; then
 * applies what was read, writes the marker and applies every change before it, so no write the
 * source acknowledged before the stop is left out. Changes to hidden keys are left out as the
 * snapshot leaves them out. When etcd's history (its last 1000 changes) no longer reaches back
 * (401), the tree is read and copied again (keys that vanished are deleted) and following goes on
 * from that snapshot.
 */
export async function follow(work: FollowWork): Promise<FollowResult> {
  const { source, signal } = work;
  let feed = work.feed;
  const result: FollowResult = { applied: 0, index: work.from, resnapshots: 0, drained: true };
  const apply = async (change: EtcdResult) => {
    const index = change.node.modifiedIndex ?? result.index;
    if (!hidden(change.node.key) && change.node.key !== '/') {
      await work.apply(change as unknown as { action: string; node: ImportNode });
      result.applied++;
    }
    result.index = Math.max(result.index, index);
    work.onApplied?.(result.applied, result.index);
  };
  const again = async () => {
    const index = await work.resnapshot(result.index);
    result.resnapshots++;
    result.index = index;
    feed = new ChangeFeed(source, index + 1);
  };
  const stop = () => void feed.stop();
  signal.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      if (signal.aborted) await feed.stop();
      let change: EtcdResult | undefined;
      try {
        change = await feed.take();
      } catch (error) {
        if (!isHistoryCleared(error)) throw error;
        await again();
        continue;
      }
      if (change === undefined) break;
      await apply(change);
    }
  } finally {
    signal.removeEventListener('abort', stop);
    await feed.stop();
  }
  // Stopped: the changes after the last one read, up to the marker.
  let marker: number;
  try {
    marker = (await source.set(FOLLOW_MARKER, 'etcctl migrate --follow stopped here', { ttl: 60 })).node
      .modifiedIndex as number;
  } catch (error) {
    work.warn(
      `follow: could not write ${FOLLOW_MARKER} to mark the stop (${(error as Error).message}): changes made after etcd index ${result.index} may be missing`,
    );
    result.drained = false;
    return result;
  }
  let next = feed.next;
  while (next <= marker) {
    let change: EtcdResult;
    try {
      change = await source.wait('/', { recursive: true, index: next, timeout: work.timeout });
    } catch (error) {
      if (!isHistoryCleared(error)) throw error;
      await again();
      await feed.stop();
      break;
    }
    const index = change.node.modifiedIndex ?? marker;
    if (index >= marker) break;
    await apply(change);
    next = index + 1;
  }
  result.index = Math.max(result.index, marker);
  await source.delete(FOLLOW_MARKER).catch(() => {});
  return result;
}

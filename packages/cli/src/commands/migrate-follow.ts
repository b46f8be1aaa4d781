import { Client, type EtcdResult, type Node } from '@etc/client';
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
  /** TTLs found refreshed in the source (v2 tells no watcher of a refresh) and carried over. */
  refreshed: number;
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
  /**
   * `--hidden` keys: v2 tells a watcher of `/` nothing of them, so each is read again every 2 s
   * and once more at the stop, and the copy made equal to it.
   */
  hidden: readonly string[];
  /** The nodes of the snapshot with a TTL: their keys and when they expire (ms). */
  expiring: Iterable<readonly [string, number]>;
  /** Applies one change to the target (`applyV2Change`); `refresh` marks a TTL refresh. */
  apply: (change: { action: string; node: ImportNode }, refresh: boolean) => Promise<unknown>;
  /**
   * Reads the tree again and copies it (stale keys deleted); resolves with the snapshot's index
   * and its nodes with a TTL.
   */
  resnapshot: (
    clearedAfter: number,
  ) => Promise<{ index: number; expiring: Iterable<readonly [string, number]> }>;
  /** Called after each change applied. */
  onApplied?: ((applied: number, index: number) => void) | undefined;
  /** Told what went wrong with the marker (the stop is then not exact). */
  warn: (line: string) => void;
}

/** How long before a TTL ends its key is read again from the source, and again after it ended. */
const RECHECK_BEFORE = 1_500;
const RECHECK_AFTER = 1_000;
/** The longest delay a Node.js timer takes (about 24.8 days); longer ones are waited in steps. */
const MAX_DELAY = 2 ** 31 - 1;

/**
 * The keys with a TTL the copy has, each read again from the source shortly before its TTL ends
 * (and once after, for a refresh in its last moments): v2 tells no watcher of a TTL refresh
 * (`refresh: true`), so without this the copy would expire while the source goes on.
 */
export class Expirations {
  readonly #timers = new Map<string, { at: number; timer: ReturnType<typeof setTimeout> }>();
  readonly #check: (key: string, at: number, after: boolean) => void;

  constructor(check: (key: string, at: number, after: boolean) => void) {
    this.#check = check;
  }

  /** When `key` expires as the copy has it (ms), if it is watched. */
  at(key: string): number | undefined {
    return this.#timers.get(key)?.at;
  }

  /** Watches `key` expiring at `at` (`undefined`: it has no TTL any more). */
  set(key: string, at: number | undefined, after = false): void {
    this.delete(key);
    if (at === undefined) return;
    const delay = after ? at + RECHECK_AFTER - Date.now() : at - RECHECK_BEFORE - Date.now();
    const timer =
      delay > MAX_DELAY
        ? setTimeout(() => this.set(key, at, after), MAX_DELAY)
        : setTimeout(() => this.#check(key, at, after), Math.max(0, delay));
    timer.unref();
    this.#timers.set(key, { at, timer });
  }

  delete(key: string): void {
    const known = this.#timers.get(key);
    if (known === undefined) return;
    clearTimeout(known.timer);
    this.#timers.delete(key);
  }

  /** Forgets `key` and every key below it (a removal). */
  deleteBelow(key: string): void {
    for (const each of [...this.#timers.keys()])
      if (each === key || each.startsWith(`${key}/`)) this.delete(each);
  }

  clear(): void {
    for (const each of [...this.#timers.keys()]) this.delete(each);
  }
}

/** Whether `key` has a hidden (`_`) segment: v2 listings, and so the snapshot, leave it out. */
const hidden = (key: string) => key.includes('/_');

const REMOVALS = new Set(['delete', 'compareAndDelete', 'expire']);

/** How often `--hidden` keys are read again while following. */
const HIDDEN_POLL = 2_000;

/** A node as the hidden keys' comparison sees it. */
interface Seen {
  dir: boolean;
  value: string | undefined;
  expiration: number | undefined;
}

/** A node and what it holds (as a recursive get returns it), by key. */
function flat(root: Node | undefined): Map<string, Seen> {
  const out = new Map<string, Seen>();
  const stack = root === undefined ? [] : [root];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    out.set(node.key, {
      dir: node.dir,
      value: node.dir ? undefined : String((node as { value?: unknown }).value ?? ''),
      expiration: node.expiration?.getTime(),
    });
    const children = (node as { nodes?: Node[] }).nodes;
    if (children !== undefined)
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as Node);
  }
  return out;
}

const isHistoryCleared = (error: unknown) => (error as { errorCode?: unknown })?.errorCode === 401;

/**
 * Applies the v2 changes after the snapshot to the target, in order, until `signal` aborts; then
 * applies what was read, writes the marker and applies every change before it, so no write the
 * source acknowledged before the stop is left out. Changes to hidden keys are not told to a watcher
 * of `/`: those of `hidden` are read again every 2 s and at the stop, the others are left out as
 * the snapshot leaves them out. When etcd's history (its last 1000 changes) no longer reaches back
 * (401), the tree is read and copied again (keys that vanished are deleted) and following goes on
 * from that snapshot.
 */
export async function follow(work: FollowWork): Promise<FollowResult> {
  const { source, signal } = work;
  let feed = work.feed;
  const result: FollowResult = { applied: 0, index: work.from, resnapshots: 0, refreshed: 0, drained: true };
  // Changes and TTL checks are applied one at a time, in the order they come.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const next = chain.then(task);
    chain = next.catch(() => {});
    return next;
  };
  let stopped = false;
  const expirations = new Expirations((key, at, after) => {
    void serial(async () => {
      if (stopped || expirations.at(key) !== at) return;
      let node: EtcdResult['node'];
      try {
        node = (await source.get(key, { timeout: work.timeout })).node;
      } catch (error) {
        // Gone: its expiry (or removal) comes as a change. Else the next check tries again.
        if ((error as { errorCode?: unknown }).errorCode === 100) expirations.delete(key);
        else work.warn(`follow: could not read ${key} to check its TTL (${(error as Error).message})`);
        return;
      }
      const now = node.expiration?.getTime();
      if (now !== undefined && now > at) {
        // Refreshed in the source, which no watcher is told of: the same refresh in the copy.
        await work.apply({ action: node.dir ? 'update' : 'set', node: node as unknown as ImportNode }, true);
        result.refreshed++;
        expirations.set(key, now);
      } else if (now === at && !after) {
        expirations.set(key, at, true);
      } else if (now === undefined || now === at) {
        expirations.delete(key);
      }
    }).catch((error: unknown) => {
      work.warn(`follow: could not refresh the TTL of ${key} in the target (${(error as Error).message})`);
    });
  });
  const watchAll = (expiring: Iterable<readonly [string, number]>) => {
    expirations.clear();
    for (const [key, at] of expiring) if (!hidden(key)) expirations.set(key, at);
  };
  watchAll(work.expiring);
  // --hidden keys: the copy made equal to the source as it is when read.
  const targetClient = new Client(work.target);
  const read = async (client: Client, path: string) => {
    try {
      return (await client.get(path, { recursive: true, sorted: true, quorum: true, timeout: work.timeout }))
        .node;
    } catch (error) {
      if ((error as { errorCode?: unknown }).errorCode === 100) return undefined;
      throw error;
    }
  };
  const reconcileHidden = async () => {
    for (const path of work.hidden) {
      const want = flat(await read(source, path));
      const got = flat(await read(targetClient, path));
      for (const [key, w] of want) {
        const g = got.get(key);
        if (g !== undefined && g.dir === w.dir && g.value === w.value && g.expiration === w.expiration)
          continue;
        const node = {
          key,
          dir: w.dir,
          value: w.value,
          expiration: w.expiration === undefined ? undefined : new Date(w.expiration),
        };
        await work.apply({ action: 'set', node }, false);
        result.applied++;
      }
      for (const [key, g] of got) {
        if (want.has(key)) continue;
        await work.apply({ action: 'delete', node: { key, dir: g.dir } }, false);
        result.applied++;
      }
    }
  };
  let polling = false;
  const poll =
    work.hidden.length === 0
      ? undefined
      : setInterval(() => {
          if (polling) return;
          polling = true;
          void serial(async () => {
            if (!stopped) await reconcileHidden();
          })
            .catch((error: unknown) => {
              work.warn(`follow: could not bring the --hidden keys over (${(error as Error).message})`);
            })
            .finally(() => {
              polling = false;
            });
        }, HIDDEN_POLL);
  poll?.unref();
  const apply = async (change: EtcdResult) => {
    const index = change.node.modifiedIndex ?? result.index;
    const key = change.node.key;
    if (!hidden(key) && key !== '/') {
      await serial(() => work.apply(change as unknown as { action: string; node: ImportNode }, false));
      if (REMOVALS.has(change.action)) expirations.deleteBelow(key);
      else expirations.set(key, change.node.expiration?.getTime());
      result.applied++;
    }
    result.index = Math.max(result.index, index);
    work.onApplied?.(result.applied, result.index);
  };
  const again = async () => {
    const copied = await serial(() => work.resnapshot(result.index));
    result.resnapshots++;
    result.index = copied.index;
    watchAll(copied.expiring);
    feed = new ChangeFeed(source, copied.index + 1);
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
    // No more TTL checks or polls: the last changes are read up to the marker below.
    stopped = true;
    expirations.clear();
    clearInterval(poll);
    await feed.stop();
  }
  await chain;
  let marker: number;
  try {
    marker = (await source.set(FOLLOW_MARKER, 'etcctl migrate --follow stopped here', { ttl: 60 })).node
      .modifiedIndex as number;
  } catch (error) {
    work.warn(
      `follow: could not write ${FOLLOW_MARKER} to mark the stop (${(error as Error).message}): changes made after etcd index ${result.index} may be missing`,
    );
    result.drained = false;
    await reconcileHidden();
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
  // The hidden keys as they are now, after every write acknowledged before the stop.
  await reconcileHidden();
  await source.delete(FOLLOW_MARKER).catch(() => {});
  return result;
}

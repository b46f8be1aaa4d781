/**
 * Helpers of the fault tests: a watch recorder, bounded polling, and the checks of the cluster
 * suites (every acknowledged write readable and seen once, in order, by every watcher concerned). (Every test file also fails
 * on a promise rejection nobody handled: see tooling/vitest/no-unhandled-rejections.js.)
 */
import type { Client, EtcdResult, Watch, WatchOptions } from '@etc/client';
import { expect } from 'vitest';

/** Records every item a watch yields, and the error that ended it, if any. */
export class Recorder {
  readonly events: EtcdResult[] = [];
  /** The watch being recorded (its `status` and `lastError`). */
  readonly watch: Watch;
  error: unknown;
  /** Resolves when the watch has ended (on `client.close()`, `break` or an error). */
  readonly done: Promise<void>;

  constructor(client: Client, key: string, options: WatchOptions) {
    const watch = client.watch(key, options);
    this.watch = watch;
    this.done = (async () => {
      try {
        for await (const event of watch) this.events.push(event);
      } catch (error) {
        this.error = error;
      }
    })();
  }

  /** The `modifiedIndex` of every event seen (a snapshot `Got` counts with its `etcdIndex`). */
  get indexes(): number[] {
    return this.events.map((event) =>
      event.action === 'get' ? event.etcdIndex : (event.node.modifiedIndex ?? Number.NaN),
    );
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Calls `attempt` until it resolves without throwing, pausing `pauseMs` between tries, and
 * rejects with the last error once `boundMs` have passed.
 */
export async function eventually<T>(attempt: () => Promise<T>, boundMs: number, pauseMs = 50): Promise<T> {
  const deadline = performance.now() + boundMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await sleep(pauseMs);
    }
  }
}

/** One write of a fault test's load: acknowledged at `index`. */
export interface Write {
  key: string;
  value: string;
  index: number;
}

export function concerns(watch: { key: string; recursive: boolean }, key: string): boolean {
  return key === watch.key || (watch.recursive && key.startsWith(`${watch.key}/`));
}

/**
 * Checks one watcher against the writes: its events are in strictly increasing index order, every
 * acknowledged write it concerns appears exactly once (same index, key and value), and every other
 * event is one of the writes whose outcome was unknown, seen at most once. No snapshot is expected.
 */
export function checkWatcher(
  watch: { key: string; recursive: boolean; recorder: Recorder },
  acked: readonly Write[],
  uncertain: readonly Omit<Write, 'index'>[],
): void {
  const { events } = watch.recorder;
  expect(watch.recorder.error).toBeUndefined();
  expect(events.filter((event) => event.action === 'get')).toEqual([]);
  const indexes = watch.recorder.indexes;
  for (let i = 1; i < indexes.length; i++) expect(indexes[i]).toBeGreaterThan(indexes[i - 1] as number);
  const byIndex = new Map(events.map((event) => [event.node.modifiedIndex, event]));
  for (const write of acked.filter((w) => concerns(watch, w.key))) {
    const event = byIndex.get(write.index);
    expect(event, `${watch.key} saw ${write.key}@${write.index}`).toBeDefined();
    expect(event?.key).toBe(write.key);
    expect(event?.value).toBe(write.value);
  }
  const ackedIndexes = new Set(acked.map((w) => w.index));
  const extra = events.filter((event) => !ackedIndexes.has(event.node.modifiedIndex as number));
  for (const event of extra) {
    const known = uncertain.some((w) => w.key === event.key && w.value === event.value);
    expect(known, `unexpected event ${event.key}=${event.value}@${event.node.modifiedIndex}`).toBe(true);
  }
  // Values are unique per write: an uncertain write that did happen shows up once.
  const values = extra.map((event) => `${event.key}=${event.value}`);
  expect(new Set(values).size).toBe(values.length);
}

/** Every acknowledged write is still in etcd's log (read back through a wait from its index). */
export async function checkReadable(client: Client, acked: readonly Write[]): Promise<void> {
  for (let i = 0; i < acked.length; i += 20) {
    await Promise.all(
      acked.slice(i, i + 20).map(async (write) => {
        const event = await client.wait(write.key, { index: write.index, timeout: 10_000 });
        expect(event.node.modifiedIndex).toBe(write.index);
        expect(event.value).toBe(write.value);
      }),
    );
  }
}

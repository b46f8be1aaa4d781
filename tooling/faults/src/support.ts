/**
 * Helpers of the fault tests: a watch recorder, bounded polling, and the cluster suites' write load
 * with a member killed under it and its checks (every acknowledged write readable and seen once,
 * in order, by every watcher concerned). (Every test file also fails on a promise rejection nobody
 * handled: see tooling/vitest/no-unhandled-rejections.js.)
 */
import { type Client, type EtcdResult, EtcException, type Watch, type WatchOptions } from '@etc/client';
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

/** One run of `killUnderLoad`: what it measured. */
export interface KillRun {
  /** Milliseconds from the kill to the first write acknowledged after it. */
  recovery: number;
  /** How many writes failed (their outcome unknown to the test). */
  unknown: number;
  /** How each failed write failed, and when. */
  failures: string[];
}

/**
 * Sequential writes to four keys under `base` with watchers on them, through `client`; `victim`
 * is SIGKILLed after 30 writes. `checkMember` then checks which member the client uses. Resolves
 * once every acknowledged write has been read back and every watcher has caught up (and closes
 * the client): the milliseconds from the kill to the first write acknowledged after it, and the
 * writes that failed and how. `writeOptions` are those of each load write (none: the adapter's
 * defaults decide).
 */
export async function killUnderLoad(
  client: Client,
  base: string,
  victim: { kill(signal: NodeJS.Signals): Promise<void>; readonly running: boolean },
  checkMember: () => void,
  writeOptions: { timeout?: number } = {},
): Promise<KillRun> {
  const keys = [`${base}/a`, `${base}/b`, `${base}/sub/c`, `${base}/sub/d`];
  try {
    const first = await client.set(keys[0] as string, 'start');
    const from = first.etcdIndex + 1;
    const watches = [
      { key: keys[0] as string, recursive: false },
      { key: keys[1] as string, recursive: false },
      { key: base, recursive: true },
      { key: `${base}/sub`, recursive: true },
    ].map((w) => ({ ...w, recorder: new Recorder(client, w.key, { index: from, recursive: w.recursive }) }));
    const acked: Write[] = [];
    const uncertain: (Omit<Write, 'index'> & { error: unknown })[] = [];
    const failures: string[] = [];
    let killing: Promise<void> | undefined;
    let killedAt = 0;
    let recovery: number | undefined;
    for (let i = 0; i < 90; i++) {
      if (i === 30) {
        killedAt = performance.now();
        killing = victim.kill('SIGKILL');
      }
      const key = keys[i % keys.length] as string;
      const value = `v${i}`;
      const sentAt = performance.now();
      try {
        const result = await client.set(key, value, writeOptions);
        if (killing && recovery === undefined) recovery = performance.now() - killedAt;
        acked.push({ key, value, index: result.node.modifiedIndex as number });
      } catch (error) {
        expect(error).toBeInstanceOf(EtcException);
        failures.push(
          `write ${i} failed after ${(performance.now() - sentAt).toFixed(0)} ms (${(performance.now() - killedAt).toFixed(0)} ms after the kill): ${String(error)}`,
        );
        uncertain.push({ key, value, error });
        await sleep(25);
      }
    }
    await killing;
    expect(victim.running).toBe(false);
    checkMember();
    // The client's next operations succeed within a bounded time.
    const after = await eventually(() => client.set(keys[1] as string, 'after', { timeout: 3_000 }), 20_000);
    if (recovery === undefined) recovery = performance.now() - killedAt;
    acked.push({ key: keys[1] as string, value: 'after', index: after.node.modifiedIndex as number });
    expect(acked.length).toBeGreaterThan(30);

    await checkReadable(client, acked);
    for (const watch of watches) {
      const last = Math.max(...acked.filter((w) => concerns(watch, w.key)).map((w) => w.index));
      await eventually(async () => {
        if (!watch.recorder.indexes.includes(last)) throw new Error(`${watch.key} has not seen ${last} yet`);
      }, 20_000);
      checkWatcher(watch, acked, uncertain);
    }
    return { recovery, unknown: uncertain.length, failures };
  } finally {
    await client.close();
  }
}

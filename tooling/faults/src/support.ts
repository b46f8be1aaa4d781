/**
 * Helpers of the fault tests: a watch recorder and bounded polling. (Every test file also fails
 * on a promise rejection nobody handled: see tooling/vitest/no-unhandled-rejections.js.)
 */
import type { Client, EtcdResult, Watch, WatchOptions } from '@etc/client';

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

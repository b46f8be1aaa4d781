import { type Client, normalizeKey } from '@etc/client';
import { Holder } from './holder.js';
import { checkValue, type LeaseOptions, leaseTiming } from './options.js';
import { reachHead } from './queue.js';

/** Options of {@link lock}: `signal` abandons the wait (removing the queued key) and releases once held. */
export interface LockOptions extends LeaseOptions {
  /** What the queued key holds, e.g. who is waiting (default `''`). */
  value?: string | undefined;
}

/**
 * A lock held through {@link lock}. `signal` aborts (reason: a `LeaseLost`) the moment it can no
 * longer be guaranteed; `createdIndex` is a fencing token.
 */
export class Lock extends Holder {
  /** Releases the lock: aborts `signal`, then deletes our key (only if still ours). Never rejects. */
  release(): Promise<void> {
    return this.giveUp();
  }
}

/**
 * Takes the fair (first come, first served) mutex `key`: queues an in-order key below it, kept
 * alive with a TTL (seconds), and resolves with a {@link Lock} once it is the lowest live key.
 * Waiting watches only the key just before ours. Aborting `signal` while waiting removes the queued
 * key and rejects with the signal's reason. Throws a `TypeError` for bad arguments.
 */
export async function lock(client: Client, key: string, options: LockOptions): Promise<Lock> {
  const timing = leaseTiming('lock', options);
  const value = options.value ?? '';
  checkValue('lock', value);
  const head = await reachHead(client, normalizeKey(key), value, timing, options);
  return new Lock(client, head, options.signal);
}

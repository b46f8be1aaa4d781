import { type Client, normalizeKey } from '@etc/client';
import { Holder } from './holder.js';
import { checkValue, type LeaseOptions, leaseTiming } from './options.js';
import { reachHead } from './queue.js';

/** Options of {@link campaign}: `signal` withdraws the candidacy while waiting and resigns once leading. */
export type CampaignOptions = LeaseOptions;

/**
 * The leadership won by {@link campaign}. `signal` aborts (reason: a `LeaseLost`) the moment it can
 * no longer be guaranteed: our key is gone or changed, no refresh succeeded within the TTL (less a
 * safety margin), or it was resigned. `createdIndex` is a fencing token.
 */
export class Leadership extends Holder {
  /** Hands leadership over at once: aborts `signal`, then deletes our key (only if still ours). Never rejects. */
  resign(): Promise<void> {
    return this.giveUp();
  }
}

/**
 * Joins the election `key` as an in-order key holding `value`, kept alive with a TTL (seconds),
 * and resolves with a {@link Leadership} once that key is the lowest live one. A candidate watches
 * only the key just before its own, so a change of leader wakes one candidate. A key that expires
 * while waiting is replaced by a new one at the end of the queue. Aborting `signal` removes the key
 * and rejects with the signal's reason. Throws a `TypeError` for bad arguments; rejects with the
 * etcd error when etcd refuses for good (e.g. `NotDir`, `Unauthorized`).
 */
export async function campaign(
  client: Client,
  key: string,
  value: string,
  options: CampaignOptions,
): Promise<Leadership> {
  checkValue('campaign', value);
  const timing = leaseTiming('campaign', options);
  const head = await reachHead(client, normalizeKey(key), value, timing, options);
  return new Leadership(client, head, options.signal);
}

import { EtcException } from '@etc/client';

/**
 * Why a kept key, a leadership or a lock ended:
 * - `expired`: no refresh succeeded within the TTL (less a safety margin), so the key may be gone;
 * - `taken`: someone else replaced or changed the key;
 * - `gone`: the key vanished (deleted or expired);
 * - `failed`: etcd answered with an error that retrying cannot fix (e.g. `Unauthorized`);
 * - `released`: `release()`, `resign()` or `stop()` was called;
 * - `aborted`: the `signal` passed in was aborted.
 */
export type LeaseLostReason = 'expired' | 'taken' | 'gone' | 'failed' | 'released' | 'aborted';

/**
 * The reason a `Leadership` or `Lock` signal is aborted with, and what `KeptNode.ready` rejects
 * with when the node could not be made ours. `reason` says why; `cause` holds the etcd error, if any.
 */
export class LeaseLost extends EtcException {
  static override readonly brand: string = 'LeaseLost';
  static override readonly code: string = 'ETC_LEASE_LOST';
  /** Why the lease ended. */
  readonly reason: LeaseLostReason;
  /** The key the lease was about. */
  readonly key: string;

  constructor(reason: LeaseLostReason, key: string, options?: { cause?: unknown }) {
    super(`${key}: ${messages[reason]}`, options);
    this.reason = reason;
    this.key = key;
  }
}

const messages: Record<LeaseLostReason, string> = {
  expired: 'no refresh succeeded within the TTL; the key may have expired',
  taken: 'someone else replaced or changed the key',
  gone: 'the key was deleted or expired',
  failed: 'etcd answered with an error that retrying cannot fix',
  released: 'released',
  aborted: 'the signal was aborted',
};

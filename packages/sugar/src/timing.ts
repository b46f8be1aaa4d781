import { backoff, classifyFailure, listenForAbort, mayRetry, stopListening } from '@etc/client';

/**
 * How long before the TTL runs out a lease counts as lost, in milliseconds: a tenth of the TTL,
 * at least 100 ms and at most 1 s. It absorbs timer lateness and small clock-rate differences.
 */
export function safetyMargin(ttlMs: number): number {
  return Math.min(1_000, Math.max(100, ttlMs / 10));
}

/**
 * Milliseconds on a monotonic clock (`performance.now()`): lease deadlines are measured on it, so
 * setting the wall clock back (NTP step, manual change) cannot extend a lease.
 */
export function monotonic(): number {
  return performance.now();
}

/**
 * The pause before retry number `failures` of a helper: `@etc/protocol`'s one backoff formula,
 * jittered, from 100 ms doubling up to `cap`.
 */
export function pause(failures: number, cap: number): number {
  return backoff(failures, { base: 100, cap });
}

/**
 * True when a read, or one of the keeper's conditional writes (a create that never overwrites, a
 * refresh or delete with `prevIndex`), may be sent again after `error`: whatever `mayRetry` allows
 * for a read, and also a write whose outcome is unknown (`OutcomeUnknown`), since its condition
 * fails if the first one was applied, and the keeper then reads the key to learn which. Never after
 * `close()` (`ClientClosed`) or an etcd error that retrying cannot fix.
 */
export function mayRetryConditional(error: unknown): boolean {
  return classifyFailure(error) === 'outcome-unknown' || mayRetry(error, false);
}

/**
 * Resolves after `ms` milliseconds, or at once when `signal` aborts (it never rejects). However
 * many sleeps share one signal, it carries one listener.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const target = { onAbort: () => done() };
    const done = () => {
      clearTimeout(timer);
      if (signal) stopListening(signal, target);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    if (signal) listenForAbort(signal, target);
  });
}

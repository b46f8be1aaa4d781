import { ConnectionError, EtcdError, HTTPError, InvalidResponse } from '@etc/client';

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

/** Jittered exponential backoff in milliseconds: between half and all of `min(cap, 100 · 2^failures)`. */
export function backoff(failures: number, cap: number): number {
  const ceiling = Math.min(cap, 100 * 2 ** Math.min(failures, 16));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/**
 * True for failures worth retrying: the network (`ConnectionError`, which includes `TimedOut` and
 * `OutcomeUnknown`), a 5xx or garbled answer, and etcd's own transient errors (300, 301).
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof ConnectionError) return true;
  if (error instanceof InvalidResponse) return true;
  if (error instanceof HTTPError) return error.statusCode >= 500;
  return error instanceof EtcdError && (error.errorCode === 300 || error.errorCode === 301);
}

/** Resolves after `ms` milliseconds, or at once when `signal` aborts (it never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}

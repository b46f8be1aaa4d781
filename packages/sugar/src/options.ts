import type { KeepEvent } from './keep-event.js';
import { safetyMargin } from './timing.js';

/** What every helper takes: the TTL of its key and how often to refresh it. */
export interface LeaseOptions {
  /** Time to live of the key in seconds: a positive integer. */
  ttl: number;
  /**
   * Milliseconds between refreshes (default: a third of the TTL). It must leave room before the
   * TTL runs out: at most the TTL less its safety margin (a tenth of the TTL, 100 ms–1 s).
   */
  interval?: number | undefined;
  /** Called synchronously with everything that happens to the key; see {@link KeepEvent}. */
  onEvent?: ((event: KeepEvent) => void) | undefined;
  /** Aborting stops the helper (and removes its key when it is still ours). */
  signal?: AbortSignal | undefined;
}

/** Validated lease timing, in milliseconds. */
export interface LeaseTiming {
  ttl: number;
  ttlMs: number;
  interval: number;
}

/** Checks `ttl` and `interval`; throws a `TypeError` that says what is wrong. */
export function leaseTiming(helper: string, options: LeaseOptions | undefined): LeaseTiming {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${helper}(): options with a ttl (seconds) are required`);
  }
  const { ttl, interval, onEvent, signal } = options;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1) {
    throw new TypeError(`${helper}(): ttl must be a positive integer number of seconds, got ${String(ttl)}`);
  }
  const ttlMs = ttl * 1_000;
  const longest = ttlMs - safetyMargin(ttlMs);
  if (
    interval !== undefined &&
    (typeof interval !== 'number' || !Number.isFinite(interval) || interval <= 0 || interval > longest)
  ) {
    throw new TypeError(
      `${helper}(): interval must be a number of milliseconds in (0, ${longest}] for ttl ${ttl}, got ${String(interval)}`,
    );
  }
  if (onEvent !== undefined && typeof onEvent !== 'function') {
    throw new TypeError(`${helper}(): onEvent must be a function`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`${helper}(): signal must be an AbortSignal`);
  }
  return { ttl, ttlMs, interval: interval ?? ttlMs / 3 };
}

/** Checks a value argument (a string). */
export function checkValue(helper: string, value: unknown): asserts value is string {
  if (typeof value !== 'string')
    throw new TypeError(`${helper}(): value must be a string, got ${typeof value}`);
}

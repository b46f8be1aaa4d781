import { OutcomeUnknown, TimedOut } from '../errors.js';
import { describe } from '../keys.js';
import type { Call } from './call.js';
import type { Layer, Send } from './layer.js';
import { listenForAbort, stopListening } from './signals.js';

/** setTimeout's largest delay (about 24.8 days). */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;

/**
 * A timeout in milliseconds as every layer reads it: `Infinity`, and anything beyond the timer
 * range (about 24.8 days), mean no limit.
 */
export function effectiveTimeout(ms: number): number {
  return ms > MAX_TIMER_DELAY ? Number.POSITIVE_INFINITY : ms;
}

/**
 * The error of a call whose time ran out: `TimedOut` for a read or wait; for a write, an
 * `OutcomeUnknown` whose `cause` is the `TimedOut`, since the write may have been applied.
 */
export function timeoutFailure(call: Call, timeout: number, cause?: unknown, what = 'timeout'): Error {
  const where = call.endpoint === undefined ? '' : ` waiting for ${call.endpoint}`;
  const timedOut = new TimedOut(`timed out after ${timeout} ms${where} (the ${what})`, {
    cause,
    endpoint: call.endpoint,
    timeout,
  });
  if (!call.write) return timedOut;
  return new OutcomeUnknown(
    `no answer within ${timeout} ms${where} (the ${what}); the ${call.operation} may or may not have been applied`,
    { cause: timedOut, endpoint: call.endpoint },
  );
}

/** Options of the deadline layer. */
export interface DeadlineOptions {
  /** The limit of calls that are not waits and give no `timeout` of their own, in ms (`Infinity`: none). */
  timeout: number;
}

/**
 * The error of a call whose `timeout` ends it before it is sent: 0 or less means the deadline has
 * already passed (`TimedOut`, a write's too, since nothing was sent); a value that is not a number
 * of milliseconds (`NaN`, not a number at all) is a `TypeError`.
 */
function refusedAtOnce(call: Call, timeout: unknown): Error {
  if (typeof timeout !== 'number' || Number.isNaN(timeout)) {
    return new TypeError(
      `${call.operation}: timeout must be a number of milliseconds, got ${describe(timeout)}`,
    );
  }
  return new TimedOut(
    `timed out: the timeout of ${timeout} ms had passed before the ${call.operation} was sent`,
    {
      timeout,
    },
  );
}

function expire(call: Call): void {
  call.abort(timeoutFailure(call, call.timeout));
}

/**
 * The deadline and abort layer. A call's `timeout` (or the default, for calls that are not waits)
 * bounds the whole call from here on: queueing for a connection, every attempt on every member,
 * the body; the caller's `signal` ends it with the signal's reason. Whatever the layers and the
 * core below are doing, the call settles at that moment, with `TimedOut` (a write: `OutcomeUnknown`
 * caused by it). Timeouts beyond the timer range mean no limit; a `timeout` of 0 or less rejects at
 * once with `TimedOut` and nothing is sent (a `NaN` one with a `TypeError`). Many calls may share
 * one `AbortSignal` (it carries one listener).
 */
export function deadline(options: DeadlineOptions): Layer {
  const fallback = effectiveTimeout(options.timeout);
  return {
    name: 'deadline',
    wrap(next: Send): Send {
      return (call) => {
        const { signal, timeout } = call.request;
        if (signal?.aborted) return Promise.reject(signal.reason);
        if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0)))
          return Promise.reject(refusedAtOnce(call, timeout));
        const limit =
          timeout === undefined
            ? call.kind === 'wait'
              ? Number.POSITIVE_INFINITY
              : fallback
            : effectiveTimeout(timeout);
        call.timeout = limit;
        if (signal !== undefined) listenForAbort(signal, call);
        const timer = limit === Number.POSITIVE_INFINITY ? undefined : setTimeout(expire, limit, call);
        let work: Promise<unknown>;
        try {
          work = next(call);
        } catch (error) {
          // A layer below (a user's) that throws instead of rejecting: the same as a rejection.
          work = Promise.reject(error);
        }
        return call.settleWith(work, () => {
          if (timer !== undefined) clearTimeout(timer);
          if (signal !== undefined) stopListening(signal, call);
        });
      };
    },
  };
}

import { OutcomeUnknown, TimedOut } from '@etc/protocol';
import type { Call } from './call.js';

/** setTimeout's largest delay (about 24.8 days). */
const MAX_DELAY = 2 ** 31 - 1;

/** The `attemptTimeout` of one attempt: a signal that follows the call's and also aborts when it passes. */
export class AttemptLimit {
  readonly #controller = new AbortController();
  readonly #call: Call;
  readonly #timeout: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  expired = false;

  constructor(call: Call, timeout: number) {
    this.#call = call;
    this.#timeout = timeout;
    if (call.signal.aborted) this.#controller.abort(call.signal.reason);
    else call.signal.addEventListener('abort', this);
    this.#timer = setTimeout(
      () => {
        this.expired = true;
        this.#controller.abort(new Error('attempt timed out'));
      },
      Math.min(timeout, MAX_DELAY),
    );
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Follows the call's signal (an `EventListener` object). */
  handleEvent(): void {
    this.#controller.abort(this.#call.signal.reason);
  }

  /** The error for an attempt whose time ran out: a read may move on, a write's outcome is unknown. */
  failure(endpoint: string, method: string, write: boolean, cause: unknown): Error {
    const waited = `no answer from ${endpoint} within the attempt timeout of ${this.#timeout} ms`;
    if (write) {
      return new OutcomeUnknown(`${waited}; the ${method} request may or may not have been applied`, {
        cause,
        endpoint,
      });
    }
    return new TimedOut(waited, { cause, endpoint, timeout: this.#timeout });
  }

  /** Clears the timer only: the signal still follows the call's (a wait once its headers arrived). */
  stopTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Clears the timer and the listener; idempotent. */
  finish(): void {
    this.stopTimer();
    this.#call.signal.removeEventListener('abort', this);
  }
}

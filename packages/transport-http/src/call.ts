import { ConnectionError, OutcomeUnknown, TimedOut } from '@etc/protocol';

/** setTimeout's largest delay (about 24.8 days); longer timeouts are capped to it. */
const MAX_DELAY = 2 ** 31 - 1;

function expire(call: Call): void {
  call.timer = undefined;
  call.abort(
    new TimedOut(`timed out after ${call.timeout} ms waiting for ${call.endpoint}`, {
      endpoint: call.endpoint,
      timeout: call.timeout,
    }),
  );
}

/**
 * One adapter call in flight. Its `signal` merges the three ways a call can end early: the caller's
 * `AbortSignal` (the reason is the caller's own), its timeout (`TimedOut`) and the adapter's close.
 * Whatever fails inside the call is reported as `signal.reason` once the signal has aborted.
 */
export class Call {
  readonly #controller = new AbortController();
  readonly #callerSignal: AbortSignal | undefined;
  /** The timeout in milliseconds (`Infinity` for none). */
  readonly timeout: number;
  /** True for PUT, POST and DELETE: a broken exchange leaves the outcome unknown. */
  readonly write: boolean;
  /** The endpoint of the current attempt (named in `TimedOut` and close errors). */
  endpoint: string;
  timer: ReturnType<typeof setTimeout> | undefined;

  constructor(endpoint: string, write: boolean, timeout: number, signal: AbortSignal | undefined) {
    this.endpoint = endpoint;
    this.write = write;
    this.timeout = timeout;
    this.#callerSignal = signal;
    if (signal) signal.addEventListener('abort', this);
    if (timeout !== Number.POSITIVE_INFINITY)
      this.timer = setTimeout(expire, Math.min(timeout, MAX_DELAY), this);
  }

  /** The merged signal handed to undici. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Called by the caller's signal (an `EventListener` object, so no closure per call). */
  handleEvent(): void {
    this.abort(this.#callerSignal?.reason);
  }

  /** Ends the call early with `reason` (the first reason wins). */
  abort(reason: unknown): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
  }

  /** Ends the call because the adapter was closed; a write may already have been applied. */
  abortOnClose(): void {
    const message = `the client was closed while a request to ${this.endpoint} was pending`;
    this.abort(
      this.write
        ? new OutcomeUnknown(`${message}; the write may or may not have been applied`, {
            endpoint: this.endpoint,
          })
        : new ConnectionError(message, { endpoint: this.endpoint }),
    );
  }

  /** Resolves after `ms` milliseconds; rejects with the reason if the call ends first. */
  sleep(ms: number): Promise<void> {
    const signal = this.#controller.signal;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Releases the timer and the listener on the caller's signal; call it when the call settles. */
  finish(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.#callerSignal?.removeEventListener('abort', this);
  }
}

import { ConnectionError, OutcomeUnknown, TimedOut } from '@etc/protocol';

/** setTimeout's largest delay (about 24.8 days); longer timeouts are capped to it. */
const MAX_DELAY = 2 ** 31 - 1;

function expire(call: Call): void {
  call.timer = undefined;
  call.abort(call.timedOut());
}

/**
 * One adapter call in flight. Its `signal` merges the three ways a call can end early: the caller's
 * `AbortSignal` (the reason is the caller's own), its timeout (`TimedOut`) and the adapter's close.
 * Whatever fails inside the call is reported as the abort reason once it has aborted.
 *
 * A call with neither a caller signal nor a timeout of its own (the common case) is `light`: it
 * makes no `AbortController` and no timer; its default timeout is enforced by undici's header and
 * body timeouts instead (see `requestTimeout`), and close ends it by destroying the connections.
 */
export class Call {
  #controller: AbortController | undefined;
  readonly #callerSignal: AbortSignal | undefined;
  /** The timeout in milliseconds (`Infinity` for none). */
  readonly timeout: number;
  /** True for PUT, POST and DELETE: a broken exchange leaves the outcome unknown. */
  readonly write: boolean;
  /** True when undici's header and body timeouts stand in for this call's timer and signal. */
  readonly light: boolean;
  /** The endpoint of the current attempt (named in `TimedOut` and close errors). */
  endpoint: string;
  timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    endpoint: string,
    write: boolean,
    timeout: number,
    signal: AbortSignal | undefined,
    light = false,
  ) {
    this.endpoint = endpoint;
    this.write = write;
    this.timeout = timeout;
    this.#callerSignal = signal;
    this.light = light && signal === undefined;
    if (signal) signal.addEventListener('abort', this);
    if (!this.light && timeout !== Number.POSITIVE_INFINITY) {
      this.timer = setTimeout(expire, Math.min(timeout, MAX_DELAY), this);
    }
  }

  /** The merged signal (made on first use for a light call). */
  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    return this.#controller.signal;
  }

  /** The signal to hand undici: none for a light call that nothing has aborted yet. */
  get requestSignal(): AbortSignal | undefined {
    return this.light && this.#controller === undefined ? undefined : this.signal;
  }

  /** undici's header and body timeout for this call's requests, in ms (0: none). */
  get requestTimeout(): number {
    return this.light && this.timeout !== Number.POSITIVE_INFINITY ? Math.min(this.timeout, MAX_DELAY) : 0;
  }

  /** True once the call has ended early; `reason` says why. */
  get aborted(): boolean {
    return this.#controller?.signal.aborted ?? false;
  }

  get reason(): unknown {
    return this.#controller?.signal.reason;
  }

  /** The `TimedOut` of this call's own timeout passing. */
  timedOut(cause?: unknown): TimedOut {
    return new TimedOut(`timed out after ${this.timeout} ms waiting for ${this.endpoint}`, {
      cause,
      endpoint: this.endpoint,
      timeout: this.timeout,
    });
  }

  /** Called by the caller's signal (an `EventListener` object, so no closure per call). */
  handleEvent(): void {
    this.abort(this.#callerSignal?.reason);
  }

  /** Ends the call early with `reason` (the first reason wins). */
  abort(reason: unknown): void {
    const signal = this.signal;
    if (!signal.aborted) this.#controller?.abort(reason);
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
    const signal = this.signal;
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

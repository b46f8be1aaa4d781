import { type AbortTarget, listenForAbort, stopListening } from './signals.js';

/** Options of a {@link PushIterator}. */
export interface PushIteratorOptions {
  /**
   * Aborting ends the iteration cleanly, as `return()` does: buffered values are dropped, every
   * pending and later `next()` resolves done. It is listened to from the first `next()` on (one
   * listener per signal however many iterators share it), so an iterator never iterated leaves
   * nothing on it.
   */
  signal?: AbortSignal | undefined;
  /** Called once, at the first `next()` (not when the signal had already aborted). */
  onStart?: (() => void) | undefined;
  /**
   * Called once when the iterator ends, for whatever reason: `return()`, abort, or the producer's
   * `end()`/`fail()`. The place to stop the producer.
   */
  onEnd?: (() => void) | undefined;
}

interface Pending<T> {
  resolve(result: IteratorResult<T, undefined>): void;
  reject(error: unknown): void;
}

const done: IteratorResult<never, undefined> = Object.freeze({ value: undefined, done: true });

/**
 * A buffered async iterator that a producer feeds: `push(value)`, then `end()` or `fail(error)`.
 * The one used by `Watch`, `KeptNode` and any other stream of this project.
 *
 * - Any number of `next()` calls may be pending at once; they are settled in the order they were
 *   made, each with the next value.
 * - Values pushed while nobody waits are buffered until `next()` takes them.
 * - `fail(error)` ends the stream after the values already buffered: the `next()` after them
 *   rejects with `error`, every later one resolves done.
 * - `return()` (and `break` in `for await`, and aborting `signal`) ends it now: buffered values
 *   are dropped, every pending and later `next()` resolves done, later pushes are ignored.
 */
export class PushIterator<T> implements AsyncIterableIterator<T, undefined>, AsyncDisposable, AbortTarget {
  readonly #buffer: T[] = [];
  /** Pending `next()` calls, oldest first; never non-empty while `#buffer` is. */
  readonly #pending: Pending<T>[] = [];
  readonly #signal: AbortSignal | undefined;
  readonly #onStart: (() => void) | undefined;
  #onEnd: (() => void) | undefined;
  #started = false;
  /** No more values will be pushed. */
  #closed = false;
  /** The error to deliver after the buffered values. */
  #error: { value: unknown } | undefined;
  #listening = false;

  constructor(options: PushIteratorOptions = {}) {
    this.#signal = options.signal;
    this.#onStart = options.onStart;
    this.#onEnd = options.onEnd;
  }

  /** True once no more values will come from the producer (ended, failed, returned or aborted). */
  get closed(): boolean {
    return this.#closed;
  }

  /** True once `next()` has been called. */
  get started(): boolean {
    return this.#started;
  }

  /** The number of values pushed and not yet taken. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /** Hands `value` to the oldest pending `next()`, or buffers it. Ignored once closed. */
  push(value: T): void {
    if (this.#closed) return;
    const waiter = this.#pending.shift();
    if (waiter) waiter.resolve({ value, done: false });
    else this.#buffer.push(value);
  }

  /** Ends the stream after the buffered values. Ignored once closed. */
  end(): void {
    if (this.#closed) return;
    this.#close();
    for (const waiter of this.#pending.splice(0)) waiter.resolve(done);
  }

  /** Ends the stream with `error`, delivered after the buffered values. Ignored once closed. */
  fail(error: unknown): void {
    if (this.#closed) return;
    this.#close();
    const [first, ...rest] = this.#pending.splice(0);
    if (first) {
      first.reject(error);
      for (const waiter of rest) waiter.resolve(done);
    } else {
      this.#error = { value: error };
    }
  }

  /** The next value, buffered or pushed later; the first call starts the stream. */
  next(): Promise<IteratorResult<T, undefined>> {
    if (!this.#started) this.#start();
    if (this.#buffer.length > 0) return Promise.resolve({ value: this.#buffer.shift() as T, done: false });
    const error = this.#error;
    if (error) {
      this.#error = undefined;
      return Promise.reject(error.value);
    }
    if (this.#closed) return Promise.resolve(done);
    return new Promise((resolve, reject) => {
      this.#pending.push({ resolve, reject });
    });
  }

  /** Ends the iteration now: drops buffered values and a pending error; pending `next()` calls resolve done. */
  return(): Promise<IteratorResult<T, undefined>> {
    this.#stop();
    return Promise.resolve(done);
  }

  /** The iterator itself (it can be iterated once). */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Ends the iteration as `return()` does, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    this.#stop();
    return Promise.resolve();
  }

  /** The signal aborted: ends the iteration as `return()` does. */
  onAbort(): void {
    this.#listening = false;
    this.#stop();
  }

  #start(): void {
    this.#started = true;
    if (this.#closed) return;
    const signal = this.#signal;
    if (signal) {
      if (signal.aborted) {
        this.#stop();
        return;
      }
      this.#listening = listenForAbort(signal, this);
    }
    this.#onStart?.();
  }

  #stop(): void {
    this.#buffer.length = 0;
    this.#error = undefined;
    this.end();
    // A producer that ended on its own has already been told.
    this.#finish();
  }

  #close(): void {
    this.#closed = true;
    // Values and an error already buffered stay for next(); the producer and the signal are released.
    this.#finish();
  }

  #finish(): void {
    if (this.#listening && this.#signal) stopListening(this.#signal, this);
    this.#listening = false;
    const onEnd = this.#onEnd;
    this.#onEnd = undefined;
    onEnd?.();
  }
}

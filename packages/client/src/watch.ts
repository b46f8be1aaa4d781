import type { Adapter, EtcdResult } from '@etc/protocol';
import { isBelow, type Subscriber, WatchStream } from './watch-stream.js';

/** Options of `watch`. */
export interface WatchOptions {
  /** Start at this etcd index (a positive integer): every change at or after it is yielded. */
  index?: number;
  /** Watch the whole subtree of `key`. */
  recursive?: boolean;
  /** Aborting ends the iteration cleanly. */
  signal?: AbortSignal;
}

function hasHiddenSegment(relative: string): boolean {
  return relative.split('/').some((segment) => segment.startsWith('_'));
}

/**
 * The long polls of one client, shared between watches: a watch joins a running stream of the
 * same key, or of a recursively watched ancestor, when that stream has seen every event the watch
 * needs; otherwise it starts its own.
 */
export class WatchHub {
  private readonly streams = new Map<string, WatchStream>();
  private closed = false;

  constructor(private readonly adapter: Adapter) {}

  /** Attaches a subscriber to a stream that can serve it, or to a new one. */
  subscribe(subscriber: Subscriber): WatchStream | undefined {
    if (this.closed) {
      subscriber.end();
      return undefined;
    }
    for (const stream of this.candidates(subscriber)) if (stream.join(subscriber)) return stream;
    const from = subscriber.from === 0 ? undefined : subscriber.from;
    const id = `${subscriber.recursive ? 'r' : 'n'}:${subscriber.key}`;
    const shared = !this.streams.has(id);
    const stream = new WatchStream(this.adapter, subscriber.key, subscriber.recursive, from, (s) => {
      if (this.streams.get(id) === s) this.streams.delete(id);
    });
    if (shared) this.streams.set(id, stream);
    stream.join(subscriber);
    return stream;
  }

  /** Stops every stream; their watches end. */
  close(): void {
    this.closed = true;
    for (const stream of [...this.streams.values()]) stream.stop();
  }

  /** The number of streams (long polls) running, for diagnostics. */
  get size(): number {
    return this.streams.size;
  }

  private *candidates(subscriber: Subscriber): Iterable<WatchStream> {
    const exact = this.streams.get(`${subscriber.recursive ? 'r' : 'n'}:${subscriber.key}`);
    if (exact) yield exact;
    const recursiveSame = this.streams.get(`r:${subscriber.key}`);
    if (recursiveSame && !subscriber.recursive) yield recursiveSame;
    for (let parent = parentOf(subscriber.key); parent !== undefined; parent = parentOf(parent)) {
      const stream = this.streams.get(`r:${parent}`);
      const relative = parent === '/' ? subscriber.key : subscriber.key.slice(parent.length);
      if (stream && isBelow(subscriber.key, parent) && !hasHiddenSegment(relative)) yield stream;
    }
  }
}

function parentOf(key: string): string | undefined {
  if (key === '/') return undefined;
  const cut = key.lastIndexOf('/');
  return cut <= 0 ? '/' : key.slice(0, cut);
}

/**
 * A running watch: an async iterator of every change, in index order, with no gap and no
 * duplicate. It starts when iteration begins and ends on `break`/`return()`, on `signal` abort or
 * on `client.close()`. Events are buffered until `next()` takes them: a consumer that stops
 * calling `next()` without `return()` keeps its poll running and its buffer growing (by design;
 * end it with `break`, `return()` or the signal).
 */
export class Watch implements AsyncIterableIterator<EtcdResult>, AsyncDisposable {
  private readonly queue: EtcdResult[] = [];
  /** Every `next()` not yet answered, oldest first. */
  private readonly waiting: {
    resolve: (r: IteratorResult<EtcdResult>) => void;
    reject: (e: unknown) => void;
  }[] = [];
  private stream: WatchStream | undefined;
  private started = false;
  private finished = false;
  private error: { value: unknown } | undefined;
  private readonly subscriber: Subscriber;
  private readonly onAbort = () => this.finish();
  private readonly signal: AbortSignal | undefined;

  constructor(
    private readonly hub: WatchHub,
    key: string,
    options: {
      index?: number | undefined;
      recursive?: boolean | undefined;
      signal?: AbortSignal | undefined;
    },
  ) {
    this.signal = options.signal;
    this.subscriber = {
      key,
      recursive: options.recursive === true,
      from: options.index ?? 0,
      push: (result) => {
        const waiter = this.waiting.shift();
        if (waiter) waiter.resolve({ value: result, done: false });
        else this.queue.push(result);
      },
      fail: (error) => {
        this.error = { value: error };
        this.finish(false);
      },
      end: () => this.finish(false),
    };
  }

  /** The watch itself: it is its own iterator, iterated once. */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * The next change (or snapshot `Got`); starts the watch on the first call. Calls made before the
   * previous one settled are settled in order.
   */
  next(): Promise<IteratorResult<EtcdResult>> {
    if (!this.started && !this.finished) {
      this.started = true;
      // The signal is only listened to once iterating, so watches never iterated leave nothing on it.
      if (this.signal?.aborted) this.finished = true;
      else {
        this.signal?.addEventListener('abort', this.onAbort, { once: true });
        this.stream = this.hub.subscribe(this.subscriber);
      }
    }
    const value = this.queue.shift();
    if (value) return Promise.resolve({ value, done: false });
    if (this.error) {
      const { value: error } = this.error;
      this.error = undefined;
      return Promise.reject(error);
    }
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
    });
  }

  /** Ends the watch (what `break` calls): buffered changes are dropped and its poll is left. */
  return(): Promise<IteratorResult<EtcdResult>> {
    this.finish();
    this.queue.length = 0;
    this.error = undefined;
    return Promise.resolve({ value: undefined, done: true });
  }

  /** `return()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.return().then(() => undefined);
  }

  private finish(leave = true): void {
    if (this.finished && this.waiting.length === 0) return;
    this.finished = true;
    this.signal?.removeEventListener('abort', this.onAbort);
    if (leave) this.stream?.leave(this.subscriber);
    this.stream = undefined;
    for (const waiter of this.waiting.splice(0)) {
      if (this.error) {
        const { value } = this.error;
        this.error = undefined;
        waiter.reject(value);
      } else {
        waiter.resolve({ value: undefined, done: true });
      }
    }
  }
}

import { type Adapter, type EtcdResult, hasHiddenBelow, isBelow, PushIterator } from '@etc/protocol';
import { type Subscriber, WatchStream } from './watch-stream.js';

/** Options of `watch`. */
export interface WatchOptions {
  /** Start at this etcd index (a positive integer): every change at or after it is yielded. */
  index?: number | undefined;
  /** Watch the whole subtree of `key`. */
  recursive?: boolean | undefined;
  /** Aborting ends the iteration cleanly. */
  signal?: AbortSignal | undefined;
  /**
   * Milliseconds (default 30,000; `Infinity`: never) after which a watch whose polls keep failing
   * for a reason other than the network ends by rejecting `next()` with the last error: answers
   * that are not etcd's (`InvalidResponse`), a 5xx or etcd 300/301 that lasts, a member of another
   * cluster (`ClusterMismatch`). The time counts from the first such failure with no successful
   * poll since. Network failures (refused, reset, timed out) never count: a watch waits for etcd
   * to come back for as long as it takes. See `Watch.status` to notice trouble sooner.
   */
  giveUpAfter?: number | undefined;
}

/** The default `giveUpAfter` of a watch, in milliseconds. */
export const DEFAULT_GIVE_UP_AFTER = 30_000;

/**
 * Where a watch stands:
 * - `idle`: not iterated yet (nothing is polled before the first `next()`);
 * - `live`: polling; the last poll succeeded, or none has failed yet;
 * - `retrying`: the last poll failed (see `lastError`) and it is retried with backoff;
 * - `ended`: it polls no more (`return()`, `break`, abort, `close()`, or it failed).
 */
export type WatchStatus = 'idle' | 'live' | 'retrying' | 'ended';

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
      // etcd offers a live event to a recursive watch of an ancestor only when no segment between
      // them is hidden (`_`): such a stream would never see this subscriber's events.
      const stream = this.streams.get(`r:${parent}`);
      if (stream && isBelow(subscriber.key, parent) && !hasHiddenBelow(parent, subscriber.key)) yield stream;
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
 * on `client.close()`. Any number of `next()` calls may be pending; they are answered in order.
 * Events are buffered until `next()` takes them: a consumer that stops calling `next()` without
 * `return()` keeps its poll running and its buffer growing (by design; end it with `break`,
 * `return()` or the signal).
 */
export class Watch implements AsyncIterableIterator<EtcdResult>, AsyncDisposable {
  readonly #events: PushIterator<EtcdResult>;
  #stream: WatchStream | undefined;
  /** The error the watch failed with, once it has. */
  #failure: unknown;

  constructor(
    hub: WatchHub,
    key: string,
    options: {
      index?: number | undefined;
      recursive?: boolean | undefined;
      signal?: AbortSignal | undefined;
      giveUpAfter?: number | undefined;
    },
  ) {
    const subscriber: Subscriber = {
      key,
      recursive: options.recursive === true,
      from: options.index ?? 0,
      giveUpAfter: options.giveUpAfter ?? DEFAULT_GIVE_UP_AFTER,
      push: (result) => this.#events.push(result),
      fail: (error) => {
        this.#failure = error;
        this.#stream = undefined;
        this.#events.fail(error);
      },
      end: () => {
        this.#stream = undefined;
        this.#events.end();
      },
    };
    this.#events = new PushIterator<EtcdResult>({
      // The poll and the signal's listener start with iteration: a watch never iterated costs nothing.
      signal: options.signal,
      onStart: () => {
        this.#stream = hub.subscribe(subscriber);
      },
      onEnd: () => {
        const stream = this.#stream;
        this.#stream = undefined;
        stream?.leave(subscriber);
      },
    });
  }

  /** Where the watch stands now; see {@link WatchStatus}. */
  get status(): WatchStatus {
    if (!this.#events.started) return 'idle';
    if (this.#events.closed) return 'ended';
    return this.#stream?.status ?? 'live';
  }

  /**
   * Why the last poll failed while `status` is `retrying`; the error the watch failed with once it
   * has (also what `next()` rejects with); otherwise `undefined`.
   */
  get lastError(): unknown {
    if (this.#events.closed) return this.#failure;
    return this.#stream?.lastError;
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
    return this.#events.next();
  }

  /** Ends the watch (what `break` calls): buffered changes are dropped and its poll is left. */
  return(): Promise<IteratorResult<EtcdResult>> {
    return this.#events.return();
  }

  /** `return()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#events[Symbol.asyncDispose]();
  }
}

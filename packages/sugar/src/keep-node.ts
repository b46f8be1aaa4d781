import {
  type AbortTarget,
  type Client,
  listenForAbort,
  normalizeKey,
  PushIterator,
  stopListening,
  type Value,
} from '@etc/client';
import type { KeepEvent, KeepState } from './keep-event.js';
import { Keeper } from './keeper.js';
import { checkValue, type LeaseOptions, leaseTiming } from './options.js';

/** Options of {@link keepNode}. */
export type KeepNodeOptions = LeaseOptions;

/**
 * A node kept alive by {@link keepNode}. Iterating it yields the events from the moment iteration
 * starts until the keeper ends (`stop()`, or the node was taken or etcd failed for good).
 */
export class KeptNode implements AsyncDisposable, AsyncIterable<KeepEvent> {
  /** The normalised key. */
  readonly key: string;
  /** The value it is kept with. */
  readonly value: string;
  /**
   * Resolves with the node once it exists (created, or an existing node with our value adopted);
   * rejects with `LeaseLost` when that never happens (someone else holds the key with another
   * value: `taken`; etcd refused: `failed`; stopped first: `released`).
   */
  readonly ready: Promise<Value>;
  private readonly keeper: Keeper;
  /** Told when `signal` aborts (one listener on the signal however many helpers share it). */
  private readonly aborted: AbortTarget = { onAbort: () => void this.stop() };

  constructor(
    client: Client,
    key: string,
    value: string,
    options: KeepNodeOptions,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.key = key;
    this.value = value;
    this.keeper = new Keeper({
      client,
      key,
      value,
      timing: leaseTiming('keepNode', options),
      recreate: true,
      onEvent: options.onEvent,
    });
    this.ready = this.keeper.ready;
    this.keeper.lost.addEventListener('abort', () => void this.keeper.stop(), { once: true });
    if (signal !== undefined && !listenForAbort(signal, this.aborted)) {
      void this.keeper.stop();
    } else {
      this.keeper.start();
    }
  }

  /** Where the node stands now; see {@link KeepState}. */
  get state(): KeepState {
    return this.keeper.state;
  }

  /** The node as last created or refreshed by us, or `undefined` when it is not (known to be) ours. */
  get node(): Value | undefined {
    return this.keeper.node;
  }

  /**
   * Until when (ms since the epoch, by this process's clock) the node is known to live: the send
   * time of the last successful refresh plus the TTL, less a safety margin. 0 before it exists.
   */
  get until(): number {
    return this.keeper.until;
  }

  /**
   * Stops refreshing and deletes the node with `prevIndex`, only if it is still ours. Waits for a
   * request in flight (bounded by the TTL); never rejects; idempotent.
   */
  stop(): Promise<void> {
    if (this.signal) stopListening(this.signal, this.aborted);
    return this.keeper.stop();
  }

  /** `stop()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /**
   * The events from now until the keeper ends (then the iteration is done). Any number of
   * `next()` calls may be pending; `return()` (or `break`) ends this iteration only, not the keeper.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<KeepEvent, undefined> {
    let unsubscribe: (() => void) | undefined;
    const events = new PushIterator<KeepEvent>({ onEnd: () => unsubscribe?.() });
    unsubscribe = this.keeper.listen((event) => (event ? events.push(event) : events.end()));
    if (events.closed) unsubscribe();
    return events;
  }
}

/**
 * Keeps `key` alive with `value` and a TTL (seconds): creates it (never overwriting another's
 * node), refreshes its TTL every `interval` ms (default a third of the TTL) with `refresh` and
 * `prevIndex`, so watchers are not woken and a node someone else took is never overwritten or
 * resurrected. A node that vanished (expired, deleted) is created again (`recreated`); a node
 * someone else changed is reported (`lost`, reason `taken`) and left alone. Network errors are
 * retried with backoff. Throws a `TypeError` for a bad key, value or option.
 */
export function keepNode(client: Client, key: string, value: string, options: KeepNodeOptions): KeptNode {
  checkValue('keepNode', value);
  return new KeptNode(client, normalizeKey(key), value, options, options?.signal);
}

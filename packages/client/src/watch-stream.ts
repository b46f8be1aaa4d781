import {
  type Adapter,
  backoff,
  channels,
  classifyFailure,
  type EtcdResult,
  EventIndexCleared,
  Got,
  InvalidResponse,
  KeyNotFound,
  mayRetry,
  Node,
  type WatchRetryMessage,
  type WatchSnapshotMessage,
  type WatchSource,
  watchSees,
} from '@etc/protocol';

/** One consumer of a watch: its key, what it has already seen, and its undelivered events. */
export interface Subscriber {
  readonly key: string;
  readonly recursive: boolean;
  /** Deliver only events at or after this index (0: any); raised past each delivered event. */
  from: number;
  /**
   * Milliseconds of polls failing for reasons other than the network (garbled answers, 5xx,
   * another cluster), with no successful poll between, after which the subscriber fails with the
   * last error. `Infinity`: never.
   */
  readonly giveUpAfter: number;
  push(result: EtcdResult): void;
  fail(error: unknown): void;
  end(): void;
}

const maxRecent = 128;
/** The watch's backoff: the one formula of `@etc/protocol`, from 50 ms up to 5 s. */
const pause = { base: 50, cap: 5_000 } as const;

/** Where a stream stands: polling normally, or retrying after failed polls. */
export type StreamStatus = 'live' | 'retrying';

/**
 * How etcd answered a wait: from its history when the event is not newer than the index at which
 * the wait started (etcd's `X-Etcd-Index` on a watch answer), live otherwise.
 */
function sourceOf(result: EtcdResult, index: number): WatchSource {
  return index <= result.etcdIndex ? 'history' : 'live';
}

/**
 * One long poll of `key` (its subtree when `recursive`) that serves every subscriber whose events it
 * sees: subscribers of the same key, and of keys below a recursive stream. It resumes each wait at
 * the last event's index + 1, re-polls after failures that `mayRetry` allows for a read with
 * jittered, capped backoff, and answers a cleared history (401) with a fresh snapshot, as it does a
 * failure before the first event of a stream started from now (the index it would resume at is
 * unknown). Network failures are retried for as long as it takes; other retried failures (a
 * garbled answer, a 5xx or etcd 300/301, another cluster) that last, with no successful poll in
 * between, end each subscriber after its `giveUpAfter` with the last error. An error that is not
 * retried (say `Unauthorized`) ends every subscriber at once; `ClientClosed` ends them cleanly.
 */
export class WatchStream {
  /** Each subscriber, with when (`performance.now()`) it joined. */
  readonly subscribers = new Map<Subscriber, number>();
  /** The `waitIndex` of the next poll; `undefined` until the first event of a stream started "from now". */
  nextIndex: number | undefined;
  /** Every matching event at or after this index has passed through `recent` (or the stream's snapshot). */
  coveredFrom: number | undefined;
  /** The highest etcd index seen in an answer: every event at or below it happened before now. */
  private knownIndex = 0;
  /** `'retrying'` from a failed poll until one succeeds. */
  status: StreamStatus = 'live';
  /** The error of the last failed poll while `retrying`; `undefined` while `live`. */
  lastError: unknown;
  /** When (`performance.now()`) the current run of non-network failures began; undefined when none. */
  private failingSince: number | undefined;
  private readonly recent: EtcdResult[] = [];
  private readonly abort = new AbortController();
  private running = false;

  constructor(
    private readonly adapter: Adapter,
    readonly key: string,
    readonly recursive: boolean,
    from: number | undefined,
    private readonly onIdle: (stream: WatchStream) => void,
  ) {
    this.nextIndex = from;
    this.coveredFrom = from;
  }

  /** Adds a subscriber, replaying what it missed from the recent events; false when it cannot join. */
  join(subscriber: Subscriber): boolean {
    if (subscriber.from === 0) {
      // From now: not the past events a stream catching up through etcd's history still has to read.
      subscriber.from = this.nextIndex === undefined ? 0 : Math.max(this.nextIndex, this.knownIndex + 1);
    } else if (this.coveredFrom === undefined || subscriber.from < this.coveredFrom) {
      return false;
    }
    for (const result of this.recent) this.offer(subscriber, result);
    this.subscribers.set(subscriber, performance.now());
    if (!this.running) {
      this.running = true;
      this.run().catch((error: unknown) => this.fail(error));
    }
    return true;
  }

  /** Removes a subscriber; the stream stops polling when none is left. */
  leave(subscriber: Subscriber): void {
    this.subscribers.delete(subscriber);
    if (this.subscribers.size === 0) this.stop();
  }

  /** Stops polling and ends every subscriber. */
  stop(): void {
    if (this.abort.signal.aborted) return;
    this.abort.abort();
    for (const subscriber of this.subscribers.keys()) subscriber.end();
    this.subscribers.clear();
    this.onIdle(this);
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  /**
   * Gives `result` to `subscriber` when a wait of its own would have: by the one rule of
   * `@etc/protocol` (`watchSees`), applied with the source etcd answered this stream's wait from.
   * That source matters: answered from history, etcd also returns events under `_hidden` segments
   * and the removal of a directory whose key is a plain prefix of the watched one; live it does
   * not. A subscriber's own wait at the same moment would have been answered the same way (its
   * `from` is never behind the stream's), so with the stream's source it misses nothing its own
   * wait would give it (no gap) and gets nothing that wait would not. The stream's own subscribers
   * (same key, same recursion) take every answer of their poll.
   */
  private offer(subscriber: Subscriber, result: EtcdResult): void {
    const index = result.node.modifiedIndex ?? 0;
    if (index < subscriber.from) return;
    const sameStream = subscriber.key === this.key && subscriber.recursive === this.recursive;
    if (!sameStream) {
      const { node } = result;
      const event = { action: result.action, key: node.key, dir: node.dir || result.prevNode?.dir === true };
      if (!watchSees(subscriber, event, sourceOf(result, index))) return;
    }
    subscriber.from = index + 1;
    subscriber.push(result);
  }

  private async run(): Promise<void> {
    let failures = 0;
    /** Why the next step reads a snapshot instead of polling, if it does. */
    let resync: WatchSnapshotMessage['reason'] | undefined;
    while (!this.stopped) {
      try {
        if (resync) {
          await this.resync(resync);
          resync = undefined;
        } else {
          const result = await this.adapter.get({
            key: this.key,
            wait: true,
            waitIndex: this.nextIndex,
            recursive: this.recursive,
            signal: this.abort.signal,
          });
          this.deliver(result);
        }
        failures = 0;
        this.recovered();
      } catch (error) {
        if (this.stopped) return;
        if (error instanceof EventIndexCleared) {
          resync = 'history-cleared';
          continue;
        }
        if (classifyFailure(error) === 'closed') {
          this.stop();
          return;
        }
        if (!mayRetry(error, false)) {
          this.fail(error);
          return;
        }
        // A poll from now that failed leaves no index to resume at: bridge with a snapshot.
        if (this.nextIndex === undefined) resync ??= 'unknown-start';
        const wait = this.failed(error, failures++);
        if (this.stopped) return;
        if (channels.watchRetry.hasSubscribers) {
          const message: WatchRetryMessage = {
            key: this.key,
            recursive: this.recursive,
            error,
            failures,
            delay: wait,
          };
          channels.watchRetry.publish(message);
        }
        await this.sleep(wait);
        this.giveUp();
      }
    }
  }

  /** A poll succeeded: the stream is live again. */
  private recovered(): void {
    this.status = 'live';
    this.lastError = undefined;
    this.failingSince = undefined;
  }

  /**
   * A poll failed with a retried error: records it, ends the subscribers whose patience it
   * exhausted, and returns how long to pause (the backoff, or less, up to the next subscriber's
   * deadline).
   */
  private failed(error: unknown, failures: number): number {
    this.status = 'retrying';
    this.lastError = error;
    const now = performance.now();
    if (classifyFailure(error) !== 'network') this.failingSince ??= now;
    let wait = backoff(failures, pause);
    const since = this.failingSince;
    if (since === undefined) return wait;
    this.giveUp(now);
    for (const [subscriber, joined] of this.subscribers) {
      wait = Math.min(wait, Math.max(0, Math.max(since, joined) + subscriber.giveUpAfter - now));
    }
    return wait;
  }

  /**
   * Fails every subscriber whose `giveUpAfter` has passed since the current run of failures began
   * (or since it joined, when that was later).
   */
  private giveUp(now = performance.now()): void {
    const since = this.failingSince;
    if (since === undefined || this.stopped) return;
    for (const [subscriber, joined] of [...this.subscribers]) {
      if (now - Math.max(since, joined) < subscriber.giveUpAfter) continue;
      this.subscribers.delete(subscriber);
      subscriber.fail(this.lastError);
    }
    if (this.subscribers.size === 0) this.stop();
  }

  private fail(error: unknown): void {
    for (const subscriber of this.subscribers.keys()) subscriber.fail(error);
    this.subscribers.clear();
    this.stop();
  }

  private deliver(result: EtcdResult): void {
    const index = result.node.modifiedIndex;
    if (index === undefined) throw new InvalidResponse(200, 'watch event without modifiedIndex');
    this.coveredFrom ??= Math.min(result.etcdIndex + 1, index);
    this.nextIndex = index + 1;
    this.knownIndex = Math.max(this.knownIndex, result.etcdIndex, index);
    this.recent.push(result);
    if (this.recent.length > maxRecent) this.coveredFrom = (this.recent.shift()?.node.modifiedIndex ?? 0) + 1;
    for (const subscriber of this.subscribers.keys()) this.offer(subscriber, result);
  }

  /**
   * The history this stream needed is gone: read the key (and each subscriber's own key, after it,
   * so their snapshots are at least as new) and go on from the stream snapshot's index + 1. A
   * failure part-way is retried whole; a second snapshot simply replaces the first.
   */
  private async resync(reason: WatchSnapshotMessage['reason']): Promise<void> {
    const snapshot = await this.snapshot(this.key, this.recursive);
    if (channels.watchSnapshot.hasSubscribers) {
      const message: WatchSnapshotMessage = {
        key: this.key,
        recursive: this.recursive,
        etcdIndex: snapshot.etcdIndex,
        reason,
      };
      channels.watchSnapshot.publish(message);
    }
    this.nextIndex = snapshot.etcdIndex + 1;
    this.coveredFrom = this.nextIndex;
    this.knownIndex = Math.max(this.knownIndex, snapshot.etcdIndex);
    this.recent.length = 0;
    for (const subscriber of [...this.subscribers.keys()]) {
      const own =
        subscriber.key === this.key && subscriber.recursive === this.recursive
          ? snapshot
          : await this.snapshot(subscriber.key, subscriber.recursive);
      if (!this.subscribers.has(subscriber)) continue;
      subscriber.from = Math.max(subscriber.from, own.etcdIndex + 1);
      subscriber.push(own);
    }
  }

  /** A `Got` of the key; a key that does not exist is a `Got` whose node is a bare `Node` (no value, not a directory). */
  private async snapshot(key: string, recursive: boolean): Promise<Got> {
    try {
      return (await this.adapter.get({ key, recursive, signal: this.abort.signal })) as Got;
    } catch (error) {
      if (!(error instanceof KeyNotFound)) throw error;
      return new Got({ action: 'get', node: new Node({ key }), etcdIndex: error.index });
    }
  }

  private sleep(delay: number): Promise<void> {
    return new Promise((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.abort.signal.removeEventListener('abort', onAbort);
        resolve();
      }, delay);
      this.abort.signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

import {
  type Adapter,
  ConnectionError,
  EtcdError,
  type EtcdResult,
  EventIndexCleared,
  Got,
  HTTPError,
  InvalidResponse,
  KeyNotFound,
  Node,
} from '@etc/protocol';

/** One consumer of a watch: its key, what it has already seen, and its undelivered events. */
export interface Subscriber {
  readonly key: string;
  readonly recursive: boolean;
  /** Deliver only events at or after this index (0: any); raised past each delivered event. */
  from: number;
  push(result: EtcdResult): void;
  fail(error: unknown): void;
  end(): void;
}

const maxRecent = 128;
const backoffBase = 50;
const backoffCap = 5_000;

/** True when `key` lies strictly below `parent`. */
export function isBelow(key: string, parent: string): boolean {
  return parent === '/' ? key !== '/' : key.startsWith(`${parent}/`);
}

function isDirRemoval(result: EtcdResult): boolean {
  return (
    result.node.dir &&
    (result.action === 'delete' || result.action === 'expire' || result.action === 'compareAndDelete')
  );
}

/** Errors after which a long poll is re-issued (with backoff) rather than given to the consumer. */
function isTransient(error: unknown): boolean {
  if (error instanceof ConnectionError || error instanceof InvalidResponse) return true;
  if (error instanceof HTTPError) return error.statusCode >= 500;
  return error instanceof EtcdError && (error.errorCode === 300 || error.errorCode === 301);
}

/**
 * One long poll of `key` (its subtree when `recursive`) that serves every subscriber whose events it
 * sees: subscribers of the same key, and of keys below a recursive stream. It resumes each wait at
 * the last event's index + 1, re-polls after network errors with jittered, capped backoff, and
 * answers a cleared history (401) with a fresh snapshot, as it does a network error before the
 * first event of a stream started from now (the index it would resume at is unknown).
 */
export class WatchStream {
  readonly subscribers = new Set<Subscriber>();
  /** The `waitIndex` of the next poll; `undefined` until the first event of a stream started "from now". */
  nextIndex: number | undefined;
  /** Every matching event at or after this index has passed through `recent` (or the stream's snapshot). */
  coveredFrom: number | undefined;
  /** The highest etcd index seen in an answer: every event at or below it happened before now. */
  private knownIndex = 0;
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
    this.subscribers.add(subscriber);
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
    for (const subscriber of this.subscribers) subscriber.end();
    this.subscribers.clear();
    this.onIdle(this);
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private offer(subscriber: Subscriber, result: EtcdResult): void {
    const index = result.node.modifiedIndex ?? 0;
    if (index < subscriber.from) return;
    const sameStream = subscriber.key === this.key && subscriber.recursive === this.recursive;
    const key = result.node.key;
    const matches =
      sameStream ||
      key === subscriber.key ||
      (subscriber.recursive && isBelow(key, subscriber.key)) ||
      (isDirRemoval(result) && isBelow(subscriber.key, key));
    if (!matches) return;
    subscriber.from = index + 1;
    subscriber.push(result);
  }

  private async run(): Promise<void> {
    let failures = 0;
    let resync = false;
    while (!this.stopped) {
      try {
        if (resync) {
          await this.resync();
          resync = false;
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
      } catch (error) {
        if (this.stopped) return;
        if (error instanceof EventIndexCleared) {
          resync = true;
        } else if (isTransient(error)) {
          // A poll from now that failed leaves no index to resume at: bridge with a snapshot.
          if (this.nextIndex === undefined) resync = true;
          await this.sleep(failures++);
        } else {
          this.fail(error);
          return;
        }
      }
    }
  }

  private fail(error: unknown): void {
    for (const subscriber of this.subscribers) subscriber.fail(error);
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
    for (const subscriber of this.subscribers) this.offer(subscriber, result);
  }

  /**
   * The history this stream needed is gone: read the key (and each subscriber's own key, after it,
   * so their snapshots are at least as new) and go on from the stream snapshot's index + 1. A
   * failure part-way is retried whole; a second snapshot simply replaces the first.
   */
  private async resync(): Promise<void> {
    const snapshot = await this.snapshot(this.key, this.recursive);
    this.nextIndex = snapshot.etcdIndex + 1;
    this.coveredFrom = this.nextIndex;
    this.knownIndex = Math.max(this.knownIndex, snapshot.etcdIndex);
    this.recent.length = 0;
    for (const subscriber of [...this.subscribers]) {
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

  private sleep(failures: number): Promise<void> {
    const ceiling = Math.min(backoffCap, backoffBase * 2 ** Math.min(failures, 16));
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
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

import { type Client, KeyNotFound, type Node, NodeExist, TestFailed, Value } from '@etc/client';
import type { KeepEvent, KeepState } from './keep-event.js';
import { LeaseLost } from './lease-lost.js';
import type { LeaseTiming } from './options.js';
import { mayRetryConditional, monotonic, pause, safetyMargin, sleep } from './timing.js';

/** What a {@link Keeper} keeps and how. */
export interface KeeperInit {
  client: Client;
  key: string;
  value: string;
  timing: LeaseTiming;
  /** Create the node when it vanishes (keepNode); otherwise a vanished node ends the keeper. */
  recreate: boolean;
  onEvent?: ((event: KeepEvent) => void) | undefined;
}

const maxDeleteAttempts = 5;

/**
 * Keeps one key alive with a TTL: refreshes it with `prevIndex` (a compare-and-swap that never
 * resurrects or overwrites a node that is not ours), recreates it with `create` (never overwriting)
 * when allowed, retries what `mayRetryConditional` allows with backoff (a write whose outcome is
 * unknown included: its condition tells on the next attempt; `ClientClosed` never), and declares the lease `expired` once no
 * refresh sent within the last TTL (less a safety margin) has succeeded. A node is "ours" while its
 * `createdIndex` and value are the ones we created; refreshes keep `createdIndex`, a `set` by
 * anyone else changes it.
 */
export class Keeper {
  state: KeepState = 'starting';
  /** Our node as last confirmed; `undefined` before creation, after it vanished, or when taken. */
  node: Value | undefined;
  /** When the lease counts as lost unless a refresh succeeds first (`monotonic()` ms; 0 before). */
  private deadline = 0;
  /** Resolves with the node once it exists; rejects with `LeaseLost` if that never happens. */
  readonly ready: Promise<Value>;
  /** Aborted (with a `LeaseLost`) when the keeper ends for good: stopped, taken, failed, or gone/expired without `recreate`. */
  readonly lost: AbortSignal;
  private readonly lostController = new AbortController();
  private readonly wake = new AbortController();
  private readonly listeners = new Set<(event: KeepEvent | undefined) => void>();
  private readonly margin: number;
  private settleReady: { resolve: (node: Value) => void; reject: (error: unknown) => void } | undefined;
  private next: 'ready' | 'recreated' | 'refreshed' = 'ready';
  private failures = 0;
  private leaseTimer: ReturnType<typeof setTimeout> | undefined;
  private loop: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private finished = false;

  constructor(private readonly init: KeeperInit) {
    this.margin = safetyMargin(init.timing.ttlMs);
    this.lost = this.lostController.signal;
    this.ready = new Promise<Value>((resolve, reject) => {
      this.settleReady = { resolve, reject };
    });
    this.ready.catch(() => {});
  }

  /** When the lease counts as lost unless a refresh succeeds first (ms since the epoch, by this process's wall clock now); 0 before. */
  get until(): number {
    return this.deadline === 0 ? 0 : Date.now() + (this.deadline - monotonic());
  }

  /** Milliseconds left before the lease counts as lost (measured on the monotonic clock). */
  get remaining(): number {
    return this.deadline - monotonic();
  }

  /** Starts the refresh loop; `initial` is a node the caller has just created, with the `monotonic()` time its request was sent. */
  start(initial?: { node: Value; sentAt: number }): void {
    if (initial) this.confirm(initial.node, initial.sentAt);
    this.loop = this.run();
  }

  /** Receives every event from now on, then `undefined` when the keeper ends; returns an unsubscribe. */
  listen(listener: (event: KeepEvent | undefined) => void): () => void {
    if (this.finished) {
      listener(undefined);
      return () => {};
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Stops refreshing, waits for a request in flight (bounded by the TTL), then deletes the node
   * with `prevIndex` if it is still ours. The state becomes `stopped` unless the keeper had already
   * ended (`taken`, `failed`, ...). Never rejects; idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.wake.abort();
    clearTimeout(this.leaseTimer);
    await this.loop;
    await this.removeIfOurs();
    const reason = new LeaseLost('released', this.init.key);
    this.settleReady?.reject(reason);
    this.settleReady = undefined;
    if (!this.lostController.signal.aborted) {
      this.lostController.abort(reason);
      this.state = 'stopped';
    }
    this.finished = true;
    for (const listener of this.listeners) listener(undefined);
    this.listeners.clear();
  }

  private get active(): boolean {
    if (this.wake.signal.aborted) return false;
    return this.state !== 'taken' && this.state !== 'failed' && !this.lostController.signal.aborted;
  }

  private async run(): Promise<void> {
    let delay = this.node ? this.untilNextRefresh() : 0;
    while (true) {
      if (delay > 0) await sleep(delay, this.wake.signal);
      if (!this.active) return;
      delay = await this.step();
    }
  }

  /** One create or refresh; resolves with the milliseconds to wait before the next step. */
  private async step(): Promise<number> {
    try {
      const delay = this.node ? await this.refresh(this.node) : await this.create();
      this.failures = 0;
      return delay;
    } catch (error) {
      if (mayRetryConditional(error)) {
        this.emit({ type: 'error', error });
        return pause(this.failures++, Math.min(this.init.timing.interval, 2_000));
      }
      this.end('failed', undefined, error);
      return 0;
    }
  }

  private async create(): Promise<number> {
    const { client, key, value, timing } = this.init;
    const sentAt = monotonic();
    try {
      const created = await client.create(key, value, { ttl: timing.ttl, timeout: this.timeout() });
      this.confirm(created.node as Value, sentAt);
      return this.untilNextRefresh();
    } catch (error) {
      if (!(error instanceof NodeExist)) throw error;
    }
    const current = await this.read();
    if (current === undefined) return 0;
    // A node with our value: ours from a lost answer, or an earlier run of the same service. Adopt
    // it by refreshing it at once with its prevIndex (which fails if it changes meanwhile).
    if (current instanceof Value && current.value === value) {
      this.node = current;
      return 0;
    }
    this.end('taken', current);
    return 0;
  }

  private async refresh(node: Value): Promise<number> {
    const { client, key, timing } = this.init;
    const sentAt = monotonic();
    try {
      const result = await client.refresh(key, timing.ttl, {
        prevIndex: node.modifiedIndex,
        timeout: this.timeout(),
      });
      this.confirm(result.node instanceof Value ? result.node : node, sentAt);
      return this.untilNextRefresh();
    } catch (error) {
      if (error instanceof KeyNotFound) return this.vanished();
      if (!(error instanceof TestFailed)) throw error;
    }
    // Its modifiedIndex moved: our own refresh whose answer was lost, or someone else's write.
    const current = await this.read();
    if (current === undefined) return this.vanished();
    if (this.isOurs(current, node)) {
      this.node = current;
      return 0;
    }
    this.end('taken', current);
    return 0;
  }

  private vanished(): number {
    if (!this.init.recreate) {
      this.end('gone');
      return 0;
    }
    this.node = undefined;
    if (this.state !== 'gone') {
      this.state = 'gone';
      clearTimeout(this.leaseTimer);
      this.emit({ type: 'lost', reason: 'gone' });
    }
    this.next = this.next === 'ready' ? 'ready' : 'recreated';
    return 0;
  }

  private async read(): Promise<Node | undefined> {
    try {
      return (await this.init.client.get(this.init.key, { quorum: true, timeout: this.timeout() })).node;
    } catch (error) {
      if (error instanceof KeyNotFound) return undefined;
      throw error;
    }
  }

  private isOurs(current: Node, mine: Value): current is Value {
    return (
      current instanceof Value &&
      current.value === this.init.value &&
      current.createdIndex === mine.createdIndex
    );
  }

  private confirm(node: Value, sentAt: number): void {
    const event = this.next;
    this.node = node;
    // An answer that lands after stop() or after the lease ended: keep the node for the final
    // delete, but neither revive the state nor arm a timer.
    if (!this.active) return;
    this.deadline = sentAt + this.init.timing.ttlMs - this.margin;
    this.state = 'kept';
    this.next = 'refreshed';
    this.armLeaseTimer();
    this.emit({ type: event, node });
    this.settleReady?.resolve(node);
    this.settleReady = undefined;
  }

  private armLeaseTimer(): void {
    clearTimeout(this.leaseTimer);
    this.leaseTimer = setTimeout(() => this.expire(), Math.max(0, this.remaining));
  }

  private expire(): void {
    if (this.state !== 'kept') return;
    if (this.remaining > 0) {
      this.armLeaseTimer();
      return;
    }
    if (!this.init.recreate) {
      this.end('expired');
      return;
    }
    this.state = 'expired';
    this.emit({ type: 'lost', reason: 'expired' });
  }

  /** Ends the keeper for good (or, for `expired`/`gone` without recreate, ends the lease). */
  private end(reason: 'expired' | 'taken' | 'gone' | 'failed', node?: Node, error?: unknown): void {
    if (this.lostController.signal.aborted) return;
    this.state = reason;
    clearTimeout(this.leaseTimer);
    if (reason === 'taken' || reason === 'gone') this.node = undefined;
    this.emit({ type: 'lost', reason, ...(node ? { node } : {}), ...(error ? { error } : {}) });
    const lost = new LeaseLost(reason, this.init.key, error === undefined ? undefined : { cause: error });
    this.settleReady?.reject(lost);
    this.settleReady = undefined;
    this.lostController.abort(lost);
    this.wake.abort();
  }

  private untilNextRefresh(): number {
    return Math.max(0, this.remaining + this.margin - this.init.timing.ttlMs + this.init.timing.interval);
  }

  /** A request's timeout: what is left of the TTL, at least 250 ms, at most the TTL. */
  private timeout(): number {
    const { ttlMs } = this.init.timing;
    const left = this.state === 'kept' ? this.remaining + this.margin : ttlMs;
    return Math.min(ttlMs, Math.max(250, left));
  }

  private emit(event: KeepEvent): void {
    for (const listener of this.listeners) listener(event);
    notify(this.init.onEvent, event);
  }

  private async removeIfOurs(): Promise<void> {
    let node = this.node;
    for (let attempt = 0; node && attempt < maxDeleteAttempts; attempt++) {
      try {
        await this.init.client.delete(this.init.key, {
          prevIndex: node.modifiedIndex,
          timeout: this.timeout(),
        });
        return;
      } catch (error) {
        if (error instanceof KeyNotFound) return;
        if (error instanceof TestFailed) {
          const current = await this.read().catch(() => undefined);
          node = current && this.isOurs(current, node) ? current : undefined;
        } else if (mayRetryConditional(error)) {
          await sleep(pause(attempt, 1_000));
        } else {
          return;
        }
      }
    }
  }
}

/** Calls an `onEvent` callback; what it throws is rethrown asynchronously so the keeper goes on. */
export function notify(onEvent: ((event: KeepEvent) => void) | undefined, event: KeepEvent): void {
  if (!onEvent) return;
  try {
    onEvent(event);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

import { type AbortTarget, type Client, listenForAbort, stopListening, Value } from '@etc/client';
import type { Keeper } from './keeper.js';
import { LeaseLost } from './lease-lost.js';
import type { QueueHead } from './queue.js';

/**
 * What `campaign` and `lock` hand over: the head of a queue, kept alive until it is given up or
 * can no longer be guaranteed. `signal` aborts, with a `LeaseLost` reason, the moment that happens.
 */
export abstract class Holder implements AsyncDisposable {
  /** Our in-order key in the queue. */
  readonly key: string;
  /** The value stored in our key. */
  readonly value: string;
  /**
   * The `createdIndex` of our key: it grows with every new holder, so it serves as a fencing
   * token (a resource that remembers the highest token it saw can refuse an older holder).
   */
  readonly createdIndex: number;
  /** Aborted (reason: a `LeaseLost`) when this is lost or given up. */
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly keeper: Keeper;
  private ended: Promise<void> | undefined;
  /** Told when the caller's signal aborts (one listener on it however many helpers share it). */
  private readonly aborted: AbortTarget = { onAbort: () => void this.end('aborted') };

  constructor(
    client: Client,
    head: QueueHead,
    private readonly userSignal: AbortSignal | undefined,
  ) {
    this.keeper = head.keeper;
    this.key = head.key;
    this.value = head.keeper.node?.value ?? '';
    this.createdIndex = head.keeper.node?.createdIndex ?? 0;
    this.signal = this.controller.signal;
    const lost = head.keeper.lost;
    if (lost.aborted) {
      this.end(lost.reason);
      return;
    }
    lost.addEventListener('abort', () => void this.end(lost.reason), { once: true });
    if (userSignal !== undefined && !listenForAbort(userSignal, this.aborted)) {
      this.end('aborted');
      return;
    }
    void this.watchOwnKey(client, head.etcdIndex + 1);
  }

  /**
   * True while the signal is not aborted and the lease has not run out by this process's clock:
   * check it right before acting, since a paused process sees its timers late.
   */
  get held(): boolean {
    return !this.signal.aborted && this.keeper.remaining > 0;
  }

  /** Until when (ms since the epoch, this process's clock) the lease is guaranteed unless refreshed again. */
  get until(): number {
    return this.keeper.until;
  }

  /** Aborts `signal`, stops refreshing and deletes our key (only if still ours); never rejects. */
  protected giveUp(): Promise<void> {
    return this.end('released');
  }

  /** Gives up the key as `release()`/`resign()` do, for `await using`; never rejects. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.giveUp();
  }

  private end(reason: unknown): Promise<void> {
    if (!this.ended) {
      this.controller.abort(
        reason instanceof LeaseLost
          ? reason
          : new LeaseLost(reason === 'aborted' ? 'aborted' : 'released', this.key),
      );
      if (this.userSignal) stopListening(this.userSignal, this.aborted);
      this.ended = this.keeper.stop();
    }
    return this.ended;
  }

  /** Ends the lease the moment our key is deleted, expires or is replaced (refreshes wake no watcher). */
  private async watchOwnKey(client: Client, index: number): Promise<void> {
    try {
      for await (const event of client.watch(this.key, { index, signal: this.signal })) {
        const node = event.node;
        if (node instanceof Value && node.createdIndex === this.createdIndex && node.value === this.value)
          continue;
        void this.end(new LeaseLost(node instanceof Value ? 'taken' : 'gone', this.key));
        return;
      }
    } catch {
      // The watch failed for good; the keeper's refreshes still guard the lease.
    }
  }
}

import type { Client, EtcdResult } from '@etc/client';

/** How many changes the feed holds before it stops reading (it reads on when they are taken). */
const MAX_QUEUED = 10_000;

/**
 * The v2 changes of the whole tree from one etcd index on, read ahead into a bounded queue: v2
 * waits on `/`, recursive, each from the last change's index + 1 (etcd answers from its history
 * while the index is behind, then as changes happen), so none is missed or seen twice. Started
 * right after the snapshot, it keeps the changes made while the copy is written.
 */
export class ChangeFeed {
  /** The index the next wait asks for. */
  next: number;
  readonly #source: Client;
  readonly #queue: EtcdResult[] = [];
  readonly #stop = new AbortController();
  #failure: { error: unknown } | undefined;
  #wake: (() => void) | undefined;
  #room: (() => void) | undefined;
  readonly #done: Promise<void>;

  constructor(source: Client, from: number) {
    this.#source = source;
    this.next = from;
    this.#done = this.#read();
  }

  async #read(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      if (this.#queue.length >= MAX_QUEUED) {
        await new Promise<void>((resolve) => {
          this.#room = resolve;
        });
        continue;
      }
      let change: EtcdResult;
      try {
        change = await this.#source.wait('/', { recursive: true, index: this.next, signal });
      } catch (error) {
        if (!signal.aborted) this.#failure = { error };
        this.#wake?.();
        return;
      }
      if (change.node.modifiedIndex !== undefined) this.next = change.node.modifiedIndex + 1;
      this.#queue.push(change);
      this.#wake?.();
    }
  }

  /**
   * The next change: at once when one is queued, else when it comes. `undefined` once the feed is
   * stopped and empty; a failed wait (etcd's 401 when its history no longer reaches back) rejects
   * after the changes read before it.
   */
  async take(): Promise<EtcdResult | undefined> {
    for (;;) {
      const change = this.#queue.shift();
      if (change !== undefined) {
        if (this.#queue.length < MAX_QUEUED) this.#room?.();
        return change;
      }
      if (this.#failure !== undefined) throw this.#failure.error;
      if (this.#stop.signal.aborted) return undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
  }

  /** Stops reading (a wait under way is abandoned); what was read can still be taken. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#wake?.();
    this.#room?.();
    await this.#done;
  }
}

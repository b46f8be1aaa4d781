/** `MockAdapter`: the `Adapter` of `@etc/protocol` over a `MockStore`. */
import {
  type Adapter,
  type AppendRequest,
  type CallOptions,
  ConnectionError,
  ConnectionRefused,
  type DeleteRequest,
  decodeResponse,
  type EtcdResult,
  encodeAppend,
  encodeDelete,
  encodeGet,
  encodeSet,
  type GetRequest,
  type SetRequest,
  TimedOut,
  type WireRequest,
} from '@etc/protocol';
import { MockStore } from './mock-store.js';
import type { SeedTree } from './seed.js';

/** Options of a `MockAdapter`. */
export interface MockAdapterOptions {
  /** The store to talk to, shared with other adapters; without one the adapter makes (and owns) its own. */
  store?: MockStore | undefined;
  /** Keys written to the store when the adapter is made. */
  seed?: SeedTree | undefined;
}

/**
 * An adapter that speaks the wire format to an in-memory `MockStore`: each call is encoded with
 * the protocol's encoders, answered by `store.handle`, and decoded by the one `decodeResponse`.
 * Every call honours `timeout` (milliseconds; rejects with `TimedOut`) and `signal` (rejects with
 * its reason). `close()` rejects this adapter's pending waits with `ConnectionError`; it closes
 * the store only when the adapter made it.
 */
export class MockAdapter implements Adapter {
  /** The store this adapter talks to. */
  readonly store: MockStore;
  /** `mock://<cluster id of the store>`. */
  readonly url: string;
  readonly #ownsStore: boolean;
  readonly #pending = new Set<AbortController>();
  #closed = false;

  constructor(options: MockAdapterOptions = {}) {
    this.#ownsStore = options.store === undefined;
    this.store = options.store ?? new MockStore();
    this.url = `mock://${this.store.clusterId}`;
    if (options.seed) this.store.seed(options.seed);
  }

  /** `Adapter.get` on the in-memory store; a wait resolves when the store changes. */
  get(request: GetRequest): Promise<EtcdResult> {
    return this.#call(encodeGet(request), request);
  }

  /** `Adapter.set` on the in-memory store. */
  set(request: SetRequest): Promise<EtcdResult> {
    return this.#call(encodeSet(request), request);
  }

  /** `Adapter.append` on the in-memory store. */
  append(request: AppendRequest): Promise<EtcdResult> {
    return this.#call(encodeAppend(request), request);
  }

  /** `Adapter.delete` on the in-memory store. */
  delete(request: DeleteRequest): Promise<EtcdResult> {
    return this.#call(encodeDelete(request), request);
  }

  /** Rejects pending calls, and closes the store if this adapter made it. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const reason = new ConnectionError('the mock adapter was closed', { endpoint: this.url });
    for (const controller of [...this.#pending]) controller.abort(reason);
    this.#pending.clear();
    if (this.#ownsStore) this.store.close();
  }

  async #call(wire: WireRequest, options: CallOptions): Promise<EtcdResult> {
    const { signal, timeout } = options;
    if (signal?.aborted) throw signal.reason;
    if (this.#closed) throw new ConnectionRefused('the mock adapter is closed', { endpoint: this.url });
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      timeout === undefined
        ? undefined
        : setTimeout(() => {
            const error = new TimedOut(`timed out after ${timeout} ms`, { endpoint: this.url, timeout });
            controller.abort(error);
          }, timeout);
    this.#pending.add(controller);
    try {
      const response = await this.store.handle(wire, { signal: controller.signal });
      return decodeResponse(response);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      this.#pending.delete(controller);
    }
  }
}

/** `MockAdapter`: the `Adapter` of `@etc/protocol` over a `MockStore`. */
import {
  type Adapter,
  type AppendRequest,
  Call,
  type CallKind,
  type CallOptions,
  Closing,
  compose,
  type DeleteRequest,
  deadline,
  decodeResponse,
  type EtcdResult,
  encodeAppend,
  encodeDelete,
  encodeGet,
  encodeSet,
  type GetRequest,
  type Layer,
  type Send,
  type SetRequest,
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
  /**
   * Default timeout of calls that are not waits, in milliseconds, when a call gives none (as
   * `etcd()`'s `timeout`). Default: none, since the mock answers at once.
   */
  timeout?: number | undefined;
  /** Layers of your own (fault injection, a key namespace), applied inside the deadline. */
  layers?: readonly Layer[] | undefined;
}

/**
 * An adapter that speaks the wire format to an in-memory `MockStore`: each call is encoded with
 * the protocol's encoders, answered by the store, and decoded by the one `decodeResponse`. Calls
 * pass through the same shared layers as over HTTP (close, deadline and abort, your own), so
 * `timeout`, `signal` and `close()` behave as they do there. `close()` closes the store only when
 * the adapter made it.
 */
export class MockAdapter implements Adapter {
  /** The store this adapter talks to. */
  readonly store: MockStore;
  /** `mock://<cluster id of the store>`. */
  readonly url: string;
  /** The layers calls pass through, outermost first. */
  readonly layers: readonly Layer[];
  readonly #ownsStore: boolean;
  readonly #closing: Closing;
  readonly #send: Send;

  constructor(options: MockAdapterOptions = {}) {
    this.#ownsStore = options.store === undefined;
    this.store = options.store ?? new MockStore();
    this.url = `mock://${this.store.clusterId}`;
    if (options.seed) this.store.seed(options.seed);
    this.#closing = new Closing(() => this.url);
    this.layers = Object.freeze([
      this.#closing,
      deadline({ timeout: options.timeout ?? Number.POSITIVE_INFINITY }),
      ...(options.layers ?? []),
    ]);
    this.#send = compose((call) => this.#core(call), this.layers);
  }

  get(request: GetRequest): Promise<EtcdResult> {
    return this.#call('get', request, request.wait ? 'wait' : 'read');
  }

  set(request: SetRequest): Promise<EtcdResult> {
    return this.#call('set', request, 'write');
  }

  append(request: AppendRequest): Promise<EtcdResult> {
    return this.#call('append', request, 'write');
  }

  delete(request: DeleteRequest): Promise<EtcdResult> {
    return this.#call('delete', request, 'write');
  }

  /** Cuts off pending calls (`ClientClosed`), and closes the store if this adapter made it. Idempotent. */
  async close(): Promise<void> {
    if (this.#closing.closed) return;
    this.#closing.close();
    if (this.#ownsStore) this.store.close();
  }

  #call(operation: string, request: CallOptions, kind: CallKind): Promise<EtcdResult> {
    return this.#send(new Call(operation, request, kind)) as Promise<EtcdResult>;
  }

  async #core(call: Call): Promise<EtcdResult> {
    call.endpoint = this.url;
    const response = await this.store.handle(wireOf(call), { signal: call });
    return decodeResponse(response);
  }
}

function wireOf(call: Call): WireRequest {
  switch (call.operation) {
    case 'get':
      return encodeGet(call.request as GetRequest);
    case 'set':
      return encodeSet(call.request as SetRequest);
    case 'append':
      return encodeAppend(call.request as AppendRequest);
    default:
      return encodeDelete(call.request as DeleteRequest);
  }
}

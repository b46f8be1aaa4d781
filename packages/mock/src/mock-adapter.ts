/** `MockAdapter`: the `Adapter` of `@etc/protocol` over a `MockStore`. */
import {
  type Adapter,
  type AdminAdapter,
  AdminNotSupported,
  type AdminRequest,
  type AdminResponse,
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
import type { MockCredentials } from './admin/mock-auth.js';
import { MockStore } from './mock-store.js';
import type { SeedTree } from './seed.js';

/** Options of a `MockAdapter`. */
export interface MockAdapterOptions {
  /** The store to talk to, shared with other adapters; without one the adapter makes (and owns) its own. */
  store?: MockStore | undefined;
  /** Keys written to the store when the adapter is made. */
  seed?: SeedTree | undefined;
  /**
   * The user this adapter acts as, like the HTTP adapter's Basic auth: checked against the store's
   * v2 auth (users, roles, permissions) while auth is enabled; without it, requests act as `guest`.
   */
  auth?: MockCredentials | undefined;
}

/**
 * An adapter that speaks the wire format to an in-memory `MockStore`: each call is encoded with
 * the protocol's encoders, answered by `store.handle`, and decoded by the one `decodeResponse`.
 * Every call honours `timeout` (milliseconds; rejects with `TimedOut`) and `signal` (rejects with
 * its reason). `close()` rejects this adapter's pending waits with `ConnectionError`; it closes
 * the store only when the adapter made it.
 */
export class MockAdapter implements Adapter, AdminAdapter {
  /** The store this adapter talks to. */
  readonly store: MockStore;
  /** `mock://<cluster id of the store>`. */
  readonly url: string;
  readonly #ownsStore: boolean;
  readonly #pending = new Set<AbortController>();
  readonly #credentials: MockCredentials | undefined;
  #closed = false;

  constructor(options: MockAdapterOptions = {}) {
    this.#credentials = checkCredentials(options.auth);
    this.#ownsStore = options.store === undefined;
    this.store = options.store ?? new MockStore();
    this.url = `mock://${this.store.clusterId}`;
    if (options.seed) this.store.seed(options.seed);
  }

  get(request: GetRequest): Promise<EtcdResult> {
    return this.#call(encodeGet(request), request);
  }

  set(request: SetRequest): Promise<EtcdResult> {
    return this.#call(encodeSet(request), request);
  }

  append(request: AppendRequest): Promise<EtcdResult> {
    return this.#call(encodeAppend(request), request);
  }

  delete(request: DeleteRequest): Promise<EtcdResult> {
    return this.#call(encodeDelete(request), request);
  }

  /** The one endpoint of the mock cluster: `[url]`. */
  get endpoints(): readonly string[] {
    return [this.url];
  }

  /**
   * Administration of the one-member mock cluster (see `MockStore.handleAdmin`): members, leader,
   * health, version, stats and v2 auth. Adding, updating or removing a member rejects with
   * `AdminNotSupported`: the mock is one member.
   */
  admin(request: AdminRequest): Promise<AdminResponse> {
    return this.#admin(request);
  }

  /** As `admin`, for the mock's one endpoint (`url`); any other endpoint is a `ConnectionRefused`. */
  adminAt(endpoint: string, request: AdminRequest): Promise<AdminResponse> {
    if (endpoint !== this.url) {
      return Promise.reject(
        new ConnectionRefused(`${endpoint} is not a member of the mock cluster ${this.url}`, { endpoint }),
      );
    }
    return this.#admin(request);
  }

  async #admin(request: AdminRequest): Promise<AdminResponse> {
    const { method, path, json, signal } = request;
    if (signal?.aborted) throw signal.reason;
    if (this.#closed) throw new ConnectionRefused('the mock adapter is closed', { endpoint: this.url });
    if (path.startsWith('/v2/members') && method !== 'GET') {
      throw new AdminNotSupported(
        'the mock etcd is a single member: it cannot add, update or remove members (use a real etcd cluster)',
      );
    }
    const wire: WireRequest = { method, key: path, path, params: [], wait: false };
    if (json !== undefined) wire.json = JSON.stringify(json);
    const response = await this.store.handleAdmin(wire, { credentials: this.#credentials });
    return { ...response, endpoint: this.url };
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
      const response = await this.store.handle(wire, {
        signal: controller.signal,
        credentials: this.#credentials,
      });
      return decodeResponse(response);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      this.#pending.delete(controller);
    }
  }
}

/** Checks the `auth` option: `{ username, password }`, both strings (the password is never echoed). */
function checkCredentials(auth: unknown): MockCredentials | undefined {
  if (auth === undefined) return undefined;
  const { username, password } = (typeof auth === 'object' && auth !== null ? auth : {}) as Record<
    string,
    unknown
  >;
  if (typeof username !== 'string' || typeof password !== 'string') {
    throw new TypeError('MockAdapter: auth must be an object { username: string, password: string }');
  }
  return Object.freeze({ username, password });
}

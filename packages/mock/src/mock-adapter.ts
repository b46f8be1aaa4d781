/** `MockAdapter`: the `Adapter` of `@etc/protocol` over a `MockStore`. */
import {
  type Adapter,
  type AdminAdapter,
  AdminNotSupported,
  type AdminRequest,
  type AdminResponse,
  type AppendRequest,
  adminWireRequest,
  Call,
  type CallKind,
  type CallOptions,
  Closing,
  ConnectionRefused,
  compose,
  type DeleteRequest,
  deadline,
  decodeResult,
  diagnostics,
  type EtcdResult,
  type GetRequest,
  type Layer,
  type Send,
  type SetRequest,
  type WireRequest,
  type WireResponse,
} from '@etc/protocol';
import { MOCK_ONE_MEMBER } from './admin/mock-admin.js';
import type { MockCredentials } from './admin/mock-auth.js';
import { MockStore } from './mock-store.js';
import type { MockAnswer } from './responses.js';
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
  /**
   * The user this adapter acts as, like the HTTP adapter's Basic auth: checked against the store's
   * v2 auth (users, roles, permissions) while auth is enabled; without it, requests act as `guest`.
   */
  auth?: MockCredentials | undefined;
}

/** What a call of this adapter carries: a keys request, or an administration request's wire form. */
type MockCall = Call<CallOptions & { wire?: WireRequest }>;

/**
 * An adapter over an in-memory `MockStore`: each typed call is answered by the store
 * (`store.call`, the same answer as its wire encoding gets) and decoded by the one decoder
 * (`decodeResult`, the half of `decodeResponse` after the JSON text is parsed). Calls
 * pass through the same shared layers as over HTTP (close, deadline and abort, your own), so
 * `timeout`, `signal` and `close()` behave as they do there. `close()` closes the store only when
 * the adapter made it.
 */
export class MockAdapter implements Adapter, AdminAdapter {
  /** The store this adapter talks to. */
  readonly store: MockStore;
  /** `mock://<cluster id of the store>`. */
  readonly url: string;
  /** The layers calls pass through, outermost first. */
  readonly layers: readonly Layer[];
  readonly #ownsStore: boolean;
  readonly #closing: Closing;
  readonly #send: Send;
  readonly #credentials: MockCredentials | undefined;

  constructor(options: MockAdapterOptions = {}) {
    this.#credentials = checkCredentials(options.auth);
    this.#ownsStore = options.store === undefined;
    this.store = options.store ?? new MockStore();
    this.url = `mock://${this.store.clusterId}`;
    if (options.seed) this.store.seed(options.seed);
    this.#closing = new Closing(() => this.url);
    this.layers = Object.freeze([
      diagnostics(),
      this.#closing,
      deadline({ timeout: options.timeout ?? Number.POSITIVE_INFINITY }),
      ...(options.layers ?? []),
    ]);
    this.#send = compose((call) => this.#core(call as MockCall), this.layers);
  }

  /** `Adapter.get` on the in-memory store; a wait resolves when the store changes. */
  get(request: GetRequest): Promise<EtcdResult> {
    return this.#call('get', request, request.wait ? 'wait' : 'read');
  }

  /** `Adapter.set` on the in-memory store. */
  set(request: SetRequest): Promise<EtcdResult> {
    return this.#call('set', request, 'write');
  }

  /** `Adapter.append` on the in-memory store. */
  append(request: AppendRequest): Promise<EtcdResult> {
    return this.#call('append', request, 'write');
  }

  /** `Adapter.delete` on the in-memory store. */
  delete(request: DeleteRequest): Promise<EtcdResult> {
    return this.#call('delete', request, 'write');
  }

  /** The one endpoint of the mock cluster: `[url]`. */
  get endpoints(): readonly string[] {
    return [this.url];
  }

  /**
   * Administration of the one-member mock cluster (see `MockStore.handleAdmin`): members, leader,
   * health, version, stats and v2 auth, through the same layers as keys calls. Adding, updating or
   * removing a member rejects with `AdminNotSupported`: the mock is one member.
   */
  async admin(request: AdminRequest): Promise<AdminResponse> {
    const { method, path, json } = request;
    const wire = adminWireRequest({ method, path, json });
    const options = { timeout: request.timeout, signal: request.signal, wire };
    const kind = method === 'GET' ? 'read' : 'write';
    const response = (await this.#send(new Call('admin', options, kind))) as WireResponse;
    // The store answers a member change 401 without root credentials, else 501: one member only.
    if (response.status === 501 && path.startsWith('/v2/members'))
      throw new AdminNotSupported(MOCK_ONE_MEMBER);
    return { ...response, endpoint: this.url };
  }

  /** As `admin`, for the mock's one endpoint (`url`); any other endpoint is a `ConnectionRefused`. */
  async adminAt(endpoint: string, request: AdminRequest): Promise<AdminResponse> {
    if (endpoint !== this.url) {
      throw new ConnectionRefused(`${endpoint} is not a member of the mock cluster ${this.url}`, {
        endpoint,
      });
    }
    return this.admin(request);
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

  #core(call: MockCall): Promise<EtcdResult | WireResponse> {
    call.endpoint = this.url;
    const credentials = this.#credentials;
    const wire = call.request.wire;
    if (wire !== undefined) return this.store.handleAdmin(wire, { credentials });
    const operation = call.operation as 'get';
    return this.store.call(operation, call.request as GetRequest, { signal: call, credentials }).then(decode);
  }
}

/** The one decoder, on the answer's JSON value (the text etcd would send is never built). */
function decode(answer: MockAnswer): EtcdResult {
  return decodeResult(answer.status, answer.headers, answer.json);
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

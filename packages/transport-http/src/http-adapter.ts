import {
  type Adapter,
  type AdminAdapter,
  type AdminRequest,
  type AdminResponse,
  type AppendRequest,
  type CallOptions,
  ClusterMismatch,
  ConnectionError,
  type DeleteRequest,
  decodeResponse,
  type EtcdResult,
  encodeAppend,
  encodeDelete,
  encodeGet,
  encodeSet,
  formEncode,
  type GetRequest,
  headerValue,
  type SetRequest,
  type WireRequest,
  type WireResponse,
} from '@etc/protocol';
import type { Dispatcher } from 'undici';
import { adminEndpoint, adminWire } from './admin/admin-wire.js';
import { AttemptLimit } from './attempt-limit.js';
import { Call } from './call.js';
import { connectionFailure } from './connection-failure.js';
import type { Endpoint } from './endpoint.js';
import { MemberList } from './member-list.js';
import { membersRequest, parseMembers } from './members.js';
import { type HttpAdapterOptions, resolveOptions } from './options.js';
import { isUnhealthy, mayRetryElsewhere, mayRetrySameMember } from './retry-rules.js';
import { settleOnAbort } from './settle-on-abort.js';

/** A wait that ended empty this fast (milliseconds) counts as quick: the next re-issue backs off. */
const QUICK_EMPTY_WAIT = 1_000;
/**
 * The longest a connection (TCP and TLS handshake) may take, in milliseconds: undici's default, or
 * the adapter's default timeout when shorter, so a light call's deadline also bounds a handshake
 * that stalls.
 */
const CONNECT_TIMEOUT = 10_000;
/** The longest pause (milliseconds) between re-issues of a wait that keeps ending empty at once. */
const MAX_WAIT_BACKOFF = 1_000;

/**
 * undici's own timeouts, which light calls use for their default timeout: header and body, and the
 * connect timeout (TCP and TLS handshake) when it is the call's timeout (see `CONNECT_TIMEOUT`).
 */
function isUndiciTimeout(error: unknown, timeout: number): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return timeout <= CONNECT_TIMEOUT;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}

/** The pause before re-issuing a wait after `quick` quick empty answers in a row: 0, 50, 100, ... 1000 ms. */
function backoff(quick: number): number {
  return quick <= 1 ? 0 : Math.min(MAX_WAIT_BACKOFF, 25 * 2 ** (quick - 1));
}

/**
 * The `Adapter` that speaks etcd's v2 HTTP API through undici: keep-alive connection pools per
 * member, a separate pool for waits, per-call timeouts and `AbortSignal`s, TLS and Basic auth, and
 * failover across the members of a cluster by written rules (see the README): reads and waits move
 * on to another member after any network failure or 5xx, writes only when they certainly never
 * reached a server. Results and etcd errors come from `decodeResponse`; network failures become
 * `ConnectionRefused`, `ConnectionError`, or `OutcomeUnknown` for a write that may have been sent; a
 * member of another cluster gives `ClusterMismatch`. The constructor throws a `TypeError` for
 * invalid options.
 */
export class HttpAdapter implements Adapter, AdminAdapter {
  /** The first endpoint given, e.g. `http://127.0.0.1:2379` (it stays so after `sync()`). */
  readonly url: string;
  readonly #members: MemberList;
  /** Default timeout of calls that are not waits, in milliseconds (`Infinity` for none). */
  readonly #timeout: number;
  /** Milliseconds one attempt on one member may take (`Infinity` for no limit). */
  readonly #attemptTimeout: number;
  readonly #headers: Readonly<Record<string, string>> | undefined;
  readonly #formHeaders: Readonly<Record<string, string>>;
  /** Errors reported by the connectors: requests that certainly never left. */
  readonly #notSent = new WeakSet<object>();
  readonly #calls = new Set<Call>();
  /** The `X-Etcd-Cluster-Id` of the first answer that carried one. */
  #clusterId: string | undefined;
  #syncTimer: ReturnType<typeof setInterval> | undefined;
  #syncing: Promise<readonly string[]> | undefined;
  #closing: Promise<void> | undefined;

  constructor(options?: HttpAdapterOptions) {
    const resolved = resolveOptions(options);
    this.url = resolved.endpoints[0] as string;
    this.#timeout = resolved.timeout;
    this.#attemptTimeout = resolved.attemptTimeout;
    const auth = resolved.authorization;
    this.#headers = auth === undefined ? undefined : Object.freeze({ authorization: auth });
    this.#formHeaders = Object.freeze({
      'content-type': 'application/x-www-form-urlencoded',
      ...(auth === undefined ? {} : { authorization: auth }),
    });
    const endpointOptions = {
      connections: resolved.connections,
      tls: resolved.tls,
      notSent: this.#notSent,
      connectTimeout: Math.min(resolved.timeout, CONNECT_TIMEOUT),
    };
    this.#members = new MemberList(resolved.endpoints, endpointOptions);
    if (resolved.syncInterval !== undefined) {
      this.#syncTimer = setInterval(() => this.#backgroundSync(), resolved.syncInterval);
      this.#syncTimer.unref();
    }
  }

  /** Every member this adapter may use, as origins without a trailing slash (refreshed by `sync()`). */
  get endpoints(): readonly string[] {
    return Object.freeze(this.#members.urls);
  }

  /** The member in use: calls go there first; it changes when that member fails. */
  get current(): string {
    return this.#members.current.url;
  }

  /** The `X-Etcd-Cluster-Id` of the cluster this adapter talks to, once an answer has carried one. */
  get clusterId(): string | undefined {
    return this.#clusterId;
  }

  /** A read, or with `wait: true` a long poll for the next change (re-issued when it ends empty). */
  get(request: GetRequest): Promise<EtcdResult> {
    return this.#send(encodeGet, request);
  }

  /** A PUT: set, create, update, compare-and-swap or refresh. */
  set(request: SetRequest): Promise<EtcdResult> {
    return this.#send(encodeSet, request);
  }

  /** A POST: creates an in-order key inside `request.key`. */
  append(request: AppendRequest): Promise<EtcdResult> {
    return this.#send(encodeAppend, request);
  }

  /** A DELETE, or a compare-and-delete. */
  delete(request: DeleteRequest): Promise<EtcdResult> {
    return this.#send(encodeDelete, request);
  }

  /**
   * Refreshes the member list from `GET /v2/members` (asked of the members in failover order) and
   * resolves with the new `endpoints`. Members that stay keep their connections; the member in use
   * stays in use when it is still listed. The answer must come from the cluster seen so far
   * (`ClusterMismatch` otherwise). Rejects like a read (`ConnectionError`, `TimedOut`, `HTTPError`,
   * `InvalidResponse` for a body without client URLs); the list is then left as it was.
   */
  sync(options?: CallOptions): Promise<readonly string[]> {
    return this.#run(membersRequest, options, async (call) => {
      const urls = parseMembers(await this.#exchange(() => membersRequest, call), (url) =>
        this.#members.accepts(url),
      );
      this.#members.replace(urls);
      return this.endpoints;
    });
  }

  // ---- Administration (the `AdminAdapter` seam; client.cluster / client.auth build on it) ----

  /**
   * Sends one administration request (members, stats, auth...) to the member in use, with this
   * adapter's auth, TLS, timeout and failover rules: a GET is a read (moves on after a network
   * failure or a 5xx), anything else a write (moves on only when certainly not sent). Resolves with
   * the raw answer, whatever its status; rejects like a keys call does on the way.
   */
  async admin(request: AdminRequest): Promise<AdminResponse> {
    const wire = adminWire(request);
    return this.#run(wire, request, async (call) => {
      const response = await this.#exchange(() => wire, call);
      return { ...response, endpoint: call.endpoint };
    });
  }

  /**
   * Sends one administration request to `endpoint` only (a listed member, or a client URL a member
   * advertises), without failover: the health of each member, the stats of the leader. An https-only
   * adapter refuses an `http:` endpoint with a `ConnectionError` (nothing is sent).
   */
  async adminAt(endpoint: string, request: AdminRequest): Promise<AdminResponse> {
    const wire = adminWire(request);
    return this.#run(wire, request, async (call) => {
      const url = adminEndpoint(endpoint, (u) => this.#members.accepts(u));
      const { endpoint: member, temporary } = this.#members.endpointFor(url);
      try {
        return { ...(await this.#attempt(member, wire, call)), endpoint: url };
      } finally {
        if (temporary) await member.close();
      }
    });
  }

  /**
   * Stops the background sync, destroys every connection and rejects pending calls with a
   * `ConnectionError` saying the client was closed (an `OutcomeUnknown` for a pending write). Later
   * calls reject at once. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    clearInterval(this.#syncTimer);
    for (const call of this.#calls) call.abortOnClose();
    await this.#members.close();
  }

  #backgroundSync(): void {
    if (this.#syncing || this.#closing) return;
    // A failed refresh keeps the list as it was and is tried again at the next tick.
    this.#syncing = this.sync().catch(() => this.endpoints);
    this.#syncing.finally(() => {
      this.#syncing = undefined;
    });
  }

  async #send<R extends CallOptions>(encode: (request: R) => WireRequest, request: R): Promise<EtcdResult> {
    if (this.#closing) throw this.#closedError();
    const wire = encode(request);
    return this.#run(wire, request, async (call) =>
      wire.wait ? this.#wait(wire, call) : decodeResponse(await this.#exchange(() => wire, call)),
    );
  }

  #closedError(): ConnectionError {
    return new ConnectionError('the client was closed', { endpoint: this.url });
  }

  /** Runs `body` as one call with its overall timeout and signal, tracked for `close()`. */
  async #run<T>(
    wire: WireRequest,
    options: CallOptions | undefined,
    body: (call: Call) => Promise<T>,
  ): Promise<T> {
    if (this.#closing) throw this.#closedError();
    const signal = options?.signal;
    if (signal?.aborted) throw signal.reason;
    const timeout = options?.timeout ?? (wire.wait ? Number.POSITIVE_INFINITY : this.#timeout);
    const write = wire.method !== 'GET';
    const light = options?.timeout === undefined && this.#attemptTimeout === Number.POSITIVE_INFINITY;
    const call = new Call(this.#members.current.url, write, timeout, signal, light);
    this.#calls.add(call);
    try {
      return await body(call);
    } finally {
      call.finish();
      this.#calls.delete(call);
    }
  }

  /**
   * Long-polls until an event arrives. A poll whose body ends empty (the server closed it first) is
   * re-issued, from the empty answer's `X-Etcd-Index + 1` when the caller gave no `waitIndex`, at
   * once the first time and after a growing pause (up to 1 s) while such answers keep coming fast.
   * A poll that fails after its headers arrived also fixes the `waitIndex` that way before it moves
   * to another member, so no event between the two polls is lost.
   */
  async #wait(first: WireRequest, call: Call): Promise<EtcdResult> {
    let wire = first;
    let hasIndex = wire.params.some(([name]) => name === 'waitIndex');
    const pin = (headers: WireResponse['headers']): void => {
      if (hasIndex) return;
      const index = headerValue(headers, 'x-etcd-index')?.trim();
      if (index === undefined || !/^\d+$/.test(index)) return;
      wire = { ...wire, params: [...wire.params, ['waitIndex', String(Number(index) + 1)]] };
      hasIndex = true;
    };
    let quick = 0;
    for (;;) {
      const started = performance.now();
      const response = await this.#exchange(() => wire, call, pin);
      if (response.status !== 200 || response.body.trim() !== '') return decodeResponse(response);
      // Without the header this is not etcd's empty watch answer; the decoder reports it.
      if (!hasIndex) return decodeResponse(response);
      quick = performance.now() - started < QUICK_EMPTY_WAIT ? quick + 1 : 0;
      const pause = backoff(quick);
      if (pause > 0) await call.sleep(pause);
      else if (call.aborted) throw call.reason;
    }
  }

  /**
   * Sends one request with failover: tries the member in use, then the others, by the rules of
   * `mayRetryElsewhere` and `isUnhealthy`, each member at most once. Resolves with the first answer
   * that ends the call (a 5xx for a write; for a read, the last 5xx when every member gave one);
   * rejects with the call's abort reason, a failure that may not be retried, `ClusterMismatch` when
   * only members of other clusters answered, or else the last member's failure.
   */
  async #exchange(
    wire: () => WireRequest,
    call: Call,
    onHeaders?: (headers: WireResponse['headers']) => void,
  ): Promise<WireResponse> {
    let unhealthy: WireResponse | undefined;
    let mismatch: ClusterMismatch | undefined;
    let failure: unknown;
    let retriedClosed = false;
    const members = this.#members.order();
    for (let i = 0; i < members.length; i++) {
      const member = members[i] as Endpoint;
      let response: WireResponse;
      try {
        response = await this.#attempt(member, wire(), call, onHeaders);
      } catch (error) {
        if (call.aborted) throw call.reason;
        if (!retriedClosed && mayRetrySameMember(error, call.write)) {
          // Once per call: a connection closed under a read is tried again on a fresh one.
          retriedClosed = true;
          i--;
          continue;
        }
        if (!mayRetryElsewhere(error, call.write)) throw error;
        this.#members.failed(member);
        if (error instanceof ClusterMismatch) mismatch = error;
        else failure = error;
        continue;
      }
      if (!call.write && isUnhealthy(response)) {
        this.#members.failed(member);
        unhealthy = response;
        continue;
      }
      this.#members.use(member);
      return response;
    }
    if (unhealthy) return unhealthy;
    throw mismatch ?? failure;
  }

  /**
   * One HTTP exchange with one member: the single place a request is sent. Bounded by the call's
   * signal and, when set, by `attemptTimeout` (for a wait, only until the headers arrive). Checks
   * the answer's cluster id as soon as its headers arrive. Resolves with the raw response; rejects
   * with the call's abort reason, `ClusterMismatch`, a `TimedOut` (read) or `OutcomeUnknown` (write)
   * when the attempt's own time ran out, or a mapped `ConnectionError`.
   */
  async #attempt(
    member: Endpoint,
    wire: WireRequest,
    call: Call,
    onHeaders?: (headers: WireResponse['headers']) => void,
  ): Promise<WireResponse> {
    call.endpoint = member.url;
    const json = wire.json;
    const form = json === undefined && (wire.method === 'PUT' || wire.method === 'POST');
    const path = form || wire.params.length === 0 ? wire.path : `${wire.path}?${formEncode(wire.params)}`;
    const pool = wire.wait ? member.waits : member.pool;
    if (pool.closed || pool.destroyed) {
      // A member sync() dropped while this call was under way: nothing is sent, the call moves on.
      throw new ConnectionError(`cannot send to ${member.url}: it was removed from the member list`, {
        endpoint: member.url,
      });
    }
    const limit =
      this.#attemptTimeout === Number.POSITIVE_INFINITY
        ? undefined
        : new AttemptLimit(call, this.#attemptTimeout);
    let response: Dispatcher.ResponseData | undefined;
    try {
      const signal = limit?.signal ?? call.requestSignal;
      const request = pool.request({
        path,
        method: wire.method,
        headers:
          json !== undefined
            ? { ...this.#formHeaders, 'content-type': 'application/json' }
            : form
              ? this.#formHeaders
              : this.#headers,
        body: json ?? (form ? formEncode(wire.params) : null),
        signal,
        headersTimeout: call.requestTimeout,
        bodyTimeout: call.requestTimeout,
      });
      // Abort wins even while undici still waits for the connection (a stalled TLS handshake).
      response = await settleOnAbort(request, signal, (late) => late.body.on('error', () => {}).destroy());
      if (wire.wait) limit?.stopTimer();
      this.#checkCluster(response.headers, member.url);
      onHeaders?.(response.headers);
      const body = await response.body.text();
      return { status: response.statusCode, headers: response.headers, body };
    } catch (error) {
      // An unread body (cluster mismatch, attempt timeout) errors when destroyed: nobody listens.
      response?.body.on('error', () => {}).destroy();
      if (call.aborted) throw call.reason;
      if (error instanceof ClusterMismatch) throw error;
      if (call.light && isUndiciTimeout(error, call.timeout)) throw call.timedOut(error);
      if (limit?.expired) throw limit.failure(member.url, wire.method, call.write, error);
      throw connectionFailure(error, member.url, wire.method, call.write, this.#notSent);
    } finally {
      limit?.finish();
    }
  }

  /** Remembers the first cluster id seen; throws `ClusterMismatch` for an answer with another one. */
  #checkCluster(headers: WireResponse['headers'], endpoint: string): void {
    const id = headerValue(headers, 'x-etcd-cluster-id');
    if (id === undefined || id === '') return;
    if (this.#clusterId === undefined) this.#clusterId = id;
    else if (id !== this.#clusterId) throw new ClusterMismatch(this.#clusterId, id, endpoint);
  }
}

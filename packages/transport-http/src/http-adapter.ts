import {
  type AbortLike,
  type Adapter,
  type AdminAdapter,
  type AdminRequest,
  type AdminResponse,
  type AppendRequest,
  Call,
  type CallKind,
  type CallOptions,
  Closing,
  ClusterGuard,
  ConnectionError,
  compose,
  type DeleteRequest,
  deadline,
  decodeResponse,
  diagnostics,
  type EtcdResult,
  EtcException,
  encodeRequest,
  failover,
  type GetRequest,
  type Layer,
  type Send,
  type SetRequest,
  TermWatch,
  type WireRequest,
  type WireResponse,
} from '@etc/protocol';
import { formEncode, headerValue } from '@etc/protocol/internal';
import type { Dispatcher } from 'undici';
import { adminEndpoint, adminWire } from './admin/admin-wire.js';
import { connectionFailure } from './connection-failure.js';
import type { Endpoint } from './endpoint.js';
import { MemberList } from './member-list.js';
import { membersRequest, parseMembers } from './members.js';
import { type HttpAdapterOptions, resolveOptions } from './options.js';
import { mayRetrySameMember } from './retry-rules.js';

/** A wait that ended empty this fast (milliseconds) counts as quick: the next re-issue backs off. */
const QUICK_EMPTY_WAIT = 1_000;
/** The longest pause (milliseconds) between re-issues of a wait that keeps ending empty at once. */
const MAX_WAIT_BACKOFF = 1_000;

/** The pause before re-issuing a wait after `quick` quick empty answers in a row: 0, 50, 100, ... 1000 ms. */
function waitPause(quick: number): number {
  return quick <= 1 ? 0 : Math.min(MAX_WAIT_BACKOFF, 25 * 2 ** (quick - 1));
}

/** Resolves after `ms`, or rejects with the call's reason when it ends first. */
function pause(call: Call, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (call.aborted) return reject(call.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(call.reason);
    };
    const timer = setTimeout(() => {
      call.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    call.addEventListener('abort', onAbort);
  });
}

/** What a call of this adapter carries: a keys request, or a request of the adapter's own. */
type HttpCall = Call<CallOptions & { wire?: WireRequest }>;

/**
 * The `Adapter` that speaks etcd's v2 HTTP API through undici. Its core sends one request to one
 * member; the shared layers of `@etc/protocol` do the rest, in this order (outermost first):
 * diagnostics, close, deadline and abort, the user's own `layers`, failover across members (attempt timeout,
 * retry rules), cluster-id check. Keep-alive pools per member, a separate pool for waits, TLS and
 * Basic auth. Results and etcd errors come from `decodeResponse`; network failures become
 * `ConnectionRefused`, `ConnectionError`, or `OutcomeUnknown` for a write that may have been sent.
 * The constructor throws a `TypeError` for invalid options.
 */
export class HttpAdapter implements Adapter, AdminAdapter {
  readonly #members: MemberList;
  readonly #headers: Readonly<Record<string, string>> | undefined;
  readonly #formHeaders: Readonly<Record<string, string>>;
  /** Errors reported by the connectors: requests that certainly never left. */
  readonly #notSent = new WeakSet<object>();
  readonly #closing: Closing;
  readonly #guard = new ClusterGuard();
  readonly #send: Send;
  /** `#send` without failover: for administration requests to one given member (`adminAt`). */
  readonly #sendTo: Send;
  /** The layers calls pass through, outermost first. */
  readonly layers: readonly Layer[];
  #syncTimer: ReturnType<typeof setInterval> | undefined;
  #syncing: Promise<readonly string[]> | undefined;
  #closed: Promise<void> | undefined;
  /** Ends calls left waiting on a member across a raft leader change (`TermWatch` of `@etc/protocol`). */
  readonly #terms: TermWatch<Endpoint>;

  constructor(options?: HttpAdapterOptions) {
    const resolved = resolveOptions(options);
    const auth = resolved.authorization;
    this.#headers = auth === undefined ? undefined : Object.freeze({ authorization: auth });
    this.#formHeaders = Object.freeze({
      'content-type': 'application/x-www-form-urlencoded',
      ...(auth === undefined ? {} : { authorization: auth }),
    });
    const endpointOptions = { connections: resolved.connections, tls: resolved.tls, notSent: this.#notSent };
    this.#members = new MemberList(resolved.endpoints, endpointOptions);
    this.#closing = new Closing(() => this.url);
    this.#terms = new TermWatch<Endpoint>((member, signal) => this.#termOf(member, signal));
    this.layers = Object.freeze([
      diagnostics(),
      this.#closing,
      deadline({ timeout: resolved.timeout }),
      ...resolved.layers,
      failover(this.#members, {
        attemptTimeout: resolved.attemptTimeout,
        retrySameMember: (error, call) => mayRetrySameMember(error, call.write),
      }),
      this.#guard,
    ]);
    this.#send = compose((call) => this.#core(call as HttpCall), this.layers);
    this.#sendTo = compose(
      (call) => this.#core(call as HttpCall),
      this.layers.filter((layer) => layer.name !== 'failover'),
    );
    if (resolved.syncInterval !== undefined) {
      this.#syncTimer = setInterval(() => this.#backgroundSync(), resolved.syncInterval);
      this.#syncTimer.unref();
    }
  }

  /** The member in use now, e.g. `http://127.0.0.1:2379`: calls go there first; it changes on failover. */
  get url(): string {
    return this.#members.current.url;
  }

  /** Every member this adapter may use, as origins without a trailing slash (refreshed by `sync()`). */
  get endpoints(): readonly string[] {
    return Object.freeze(this.#members.urls);
  }

  /** The member in use (the same as `url`). */
  get current(): string {
    return this.#members.current.url;
  }

  /** The `X-Etcd-Cluster-Id` of the cluster this adapter talks to, once an answer has carried one. */
  get clusterId(): string | undefined {
    return this.#guard.clusterId;
  }

  /** A read, or with `wait: true` a long poll for the next change (re-issued when it ends empty). */
  get(request: GetRequest): Promise<EtcdResult> {
    return this.#call('get', request, request.wait ? 'wait' : 'read');
  }

  /** A PUT: set, create, update, compare-and-swap or refresh. */
  set(request: SetRequest): Promise<EtcdResult> {
    return this.#call('set', request, 'write');
  }

  /** A POST: creates an in-order key inside `request.key`. */
  append(request: AppendRequest): Promise<EtcdResult> {
    return this.#call('append', request, 'write');
  }

  /** A DELETE, or a compare-and-delete. */
  delete(request: DeleteRequest): Promise<EtcdResult> {
    return this.#call('delete', request, 'write');
  }

  /**
   * Refreshes the member list from `GET /v2/members` (asked of the members in failover order) and
   * resolves with the new `endpoints`. Members that stay keep their connections; the member in use
   * stays in use when it is still listed. The answer must come from the cluster seen so far
   * (`ClusterMismatch` otherwise). An https adapter keeps only https members. Rejects like a read
   * (`ConnectionError`, `TimedOut`, `HTTPError`, `InvalidResponse` for a body without usable client
   * URLs); the list is then left as it was.
   */
  async sync(options?: CallOptions): Promise<readonly string[]> {
    const call: HttpCall = new Call('sync', { ...options, wire: membersRequest }, 'read');
    const response = (await this.#send(call)) as WireResponse;
    this.#members.replace(parseMembers(response, (url) => this.#members.accepts(url)));
    return this.endpoints;
  }

  // ---- Administration (the `AdminAdapter` seam; client.cluster / client.auth build on it) ----

  /**
   * Sends one administration request (members, stats, auth...) to the member in use, through the
   * same layers as keys calls (auth, TLS, deadline, failover): a GET is a read (moves on after a
   * network failure or a 5xx), anything else a write (moves on only when certainly not sent).
   * Resolves with the raw answer (a 5xx rejects, as `HTTPError`); a `TypeError` for a bad request.
   */
  async admin(request: AdminRequest): Promise<AdminResponse> {
    const call = this.#adminCall(request);
    const response = (await this.#send(call)) as WireResponse;
    return { ...response, endpoint: call.endpoint ?? this.url };
  }

  /**
   * Sends one administration request to `endpoint` only (a listed member, or a client URL a member
   * advertises), without failover: the health of each member, the stats of the leader. An https-only
   * adapter refuses an `http:` endpoint with a `ConnectionError` (nothing is sent).
   */
  async adminAt(endpoint: string, request: AdminRequest): Promise<AdminResponse> {
    const call = this.#adminCall(request);
    const url = adminEndpoint(endpoint, (u) => this.#members.accepts(u));
    const { endpoint: member, temporary } = this.#members.endpointFor(url);
    call.endpoint = url;
    call.member = member;
    try {
      return { ...((await this.#sendTo(call)) as WireResponse), endpoint: url };
    } finally {
      if (temporary) await member.close();
    }
  }

  #adminCall(request: AdminRequest): HttpCall {
    const wire = adminWire(request);
    const options = { timeout: request.timeout, signal: request.signal, wire };
    return new Call('admin', options, wire.method === 'GET' ? 'read' : 'write');
  }

  /**
   * Stops the background sync, destroys every connection and rejects pending calls with
   * `ClientClosed` (an `OutcomeUnknown` for a pending write). Later calls reject at once. Idempotent.
   */
  close(): Promise<void> {
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  async #shutdown(): Promise<void> {
    clearInterval(this.#syncTimer);
    this.#closing.close();
    this.#terms.close();
    await this.#members.close();
  }

  #backgroundSync(): void {
    if (this.#syncing || this.#closing.closed) return;
    // A failed refresh keeps the list as it was and is tried again at the next tick.
    this.#syncing = this.sync().catch(() => this.endpoints);
    this.#syncing.finally(() => {
      this.#syncing = undefined;
    });
  }

  #call(operation: string, request: CallOptions, kind: CallKind): Promise<EtcdResult> {
    return this.#send(new Call(operation, request, kind)) as Promise<EtcdResult>;
  }

  /** The wire form of a call's request (encoded once per call, kept for its later attempts). */
  #wire(call: HttpCall): WireRequest {
    const request = call.request;
    if (request.wire !== undefined) return request.wire;
    return encodeRequest(call.operation, request as GetRequest);
  }

  /** The core: one call's attempt on the member the failover layer chose. */
  async #core(call: HttpCall): Promise<unknown> {
    const member = call.member as Endpoint;
    const wire = this.#wire(call);
    if (call.request.wire !== undefined) {
      const response = await this.#attempt(member, wire, call);
      if (response.status >= 500) decodeResponse(response); // throws the 5xx, for failover to judge
      return response;
    }
    if (wire.wait) return this.#wait(member, wire, call);
    return decodeResponse(await this.#attempt(member, wire, call));
  }

  /**
   * Long-polls one member until an event arrives. A poll whose body ends empty (the server closed
   * it first) is re-issued, from the empty answer's `X-Etcd-Index + 1` when the caller gave no
   * `waitIndex`, at once the first time and after a growing pause (up to 1 s) while such answers
   * keep coming fast. The index is pinned on the call as soon as headers arrive, so an attempt on
   * another member after a failure resumes there and no event between the two polls is lost.
   */
  async #wait(member: Endpoint, first: WireRequest, call: HttpCall): Promise<EtcdResult> {
    const given = (call.request as GetRequest).waitIndex !== undefined;
    let quick = 0;
    for (;;) {
      const wire: WireRequest =
        given || call.resume === undefined
          ? first
          : { ...first, params: [...first.params, ['waitIndex', String(call.resume)]] };
      const started = performance.now();
      const response = await this.#attempt(member, wire, call, given ? undefined : pin);
      if (response.status !== 200 || response.body.trim() !== '') return decodeResponse(response);
      // Without the header this is not etcd's empty watch answer; the decoder reports it.
      if (!given && call.resume === undefined) return decodeResponse(response);
      quick = performance.now() - started < QUICK_EMPTY_WAIT ? quick + 1 : 0;
      const ms = waitPause(quick);
      if (ms > 0) await pause(call, ms);
      else if (call.aborted) throw call.reason;
    }
  }

  /**
   * One HTTP exchange with one member: the single place a call's request is sent. Aborted by the
   * attempt's signal; runs the call's answer checks (cluster id) as soon as headers arrive.
   * Resolves with the raw response; rejects with a mapped `ConnectionError` (`OutcomeUnknown` for
   * a write that may have been sent) or what a check threw. Every exchange but a wait is watched
   * for a raft leader change that would leave it unanswered (`TermWatch`): it then ends as
   * `OutcomeUnknown` (a write) or `ConnectionError`.
   */
  #attempt(
    member: Endpoint,
    wire: WireRequest,
    call: HttpCall,
    onHeaders?: (call: HttpCall, headers: WireResponse['headers']) => void,
  ): Promise<WireResponse> {
    if (wire.wait) return this.#exchange(member, wire, call, call.attempt, onHeaders);
    return this.#terms.run(member, call.write, call.attempt, (signal) =>
      this.#exchange(member, wire, call, signal, onHeaders),
    );
  }

  async #exchange(
    member: Endpoint,
    wire: WireRequest,
    call: HttpCall,
    signal: AbortLike,
    onHeaders: ((call: HttpCall, headers: WireResponse['headers']) => void) | undefined,
  ): Promise<WireResponse> {
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
    let response: Dispatcher.ResponseData | undefined;
    try {
      response = await pool.request({
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
      });
      this.#observeTerm(response.headers);
      call.answered({ endpoint: member.url, clusterId: headerValue(response.headers, 'x-etcd-cluster-id') });
      onHeaders?.(call, response.headers);
      const body = await response.body.text();
      return { status: response.statusCode, headers: response.headers, body };
    } catch (error) {
      // An unread body (a refused answer, an abort) errors when destroyed: nobody listens.
      response?.body.on('error', () => {}).destroy();
      // Aborted: the layer that aborted the attempt says why, else the term watch's verdict.
      if (signal.aborted) throw call.attempt.aborted ? error : signal.reason;
      // A refused answer: the check's error.
      if (error instanceof EtcException) throw error;
      throw connectionFailure(error, member.url, wire.method, call.write, this.#notSent);
    }
  }

  /** Notes the `X-Raft-Term` of an answer (keys answers and waits carry it; etcd's errors do not). */
  #observeTerm(headers: WireResponse['headers']): void {
    const term = headerValue(headers, 'x-raft-term');
    if (term !== undefined) this.#terms.observe(Number(term));
  }

  /**
   * The term watch's probe: `HEAD /v2/keys/` to exactly `member` (no layers, no failover), on its
   * wait pool so that calls holding every ordinary connection do not hold it up. etcd serves a
   * non-quorum read from the member's own store, leader or not, and answers it with the member's
   * `X-Raft-Term` (a HEAD: no body).
   */
  async #termOf(member: Endpoint, signal: AbortLike): Promise<number> {
    const response = await member.waits.request({
      path: '/v2/keys/',
      method: 'HEAD',
      headers: this.#headers,
      signal,
    });
    await response.body.dump();
    const term = Number(headerValue(response.headers, 'x-raft-term'));
    if (!Number.isSafeInteger(term) || term <= 0) {
      throw new Error(`no X-Raft-Term in the answer of ${member.url} (status ${response.statusCode})`);
    }
    return term;
  }
}

/** Pins a wait without `waitIndex` to the index after its first answer's `X-Etcd-Index`. */
function pin(call: HttpCall, headers: WireResponse['headers']): void {
  if (call.resume !== undefined) return;
  const index = headerValue(headers, 'x-etcd-index')?.trim();
  if (index === undefined || !/^\d+$/.test(index)) return;
  const next = Number(index) + 1;
  if (Number.isSafeInteger(next)) call.resume = next;
}

import {
  type Adapter,
  type AppendRequest,
  type CallOptions,
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
import { Call } from './call.js';
import { connectionFailure } from './connection-failure.js';
import { Endpoint } from './endpoint.js';
import { type HttpAdapterOptions, resolveOptions } from './options.js';

/** A wait that ended empty this fast (milliseconds) counts as quick: the next re-issue backs off. */
const QUICK_EMPTY_WAIT = 1_000;
/** The longest pause (milliseconds) between re-issues of a wait that keeps ending empty at once. */
const MAX_WAIT_BACKOFF = 1_000;

/** The pause before re-issuing a wait after `quick` quick empty answers in a row: 0, 50, 100, ... 1000 ms. */
function backoff(quick: number): number {
  return quick <= 1 ? 0 : Math.min(MAX_WAIT_BACKOFF, 25 * 2 ** (quick - 1));
}

/**
 * The `Adapter` that speaks etcd's v2 HTTP API through undici: keep-alive connection pools per
 * endpoint, a separate pool for waits, per-call timeouts and `AbortSignal`s, TLS and Basic auth.
 * Results and etcd errors come from `decodeResponse`; network failures become `ConnectionRefused`,
 * `ConnectionError`, or `OutcomeUnknown` for a write that may have been sent (see the README).
 * The constructor throws a `TypeError` for invalid options.
 */
export class HttpAdapter implements Adapter {
  /** The first endpoint, e.g. `http://127.0.0.1:2379`. */
  readonly url: string;
  /** Every endpoint, as origins without a trailing slash. */
  readonly endpoints: readonly string[];
  readonly #endpoints: readonly Endpoint[];
  /** Default timeout of calls that are not waits, in milliseconds (`Infinity` for none). */
  readonly #timeout: number;
  readonly #headers: Readonly<Record<string, string>> | undefined;
  readonly #formHeaders: Readonly<Record<string, string>>;
  /** Errors reported by the connectors: requests that certainly never left. */
  readonly #notSent = new WeakSet<object>();
  readonly #calls = new Set<Call>();
  #closing: Promise<void> | undefined;

  constructor(options?: HttpAdapterOptions) {
    const resolved = resolveOptions(options);
    this.endpoints = Object.freeze(resolved.endpoints);
    this.url = resolved.endpoints[0] as string;
    this.#timeout = resolved.timeout;
    const auth = resolved.authorization;
    this.#headers = auth === undefined ? undefined : Object.freeze({ authorization: auth });
    this.#formHeaders = Object.freeze({
      'content-type': 'application/x-www-form-urlencoded',
      ...(auth === undefined ? {} : { authorization: auth }),
    });
    const endpointOptions = { connections: resolved.connections, tls: resolved.tls, notSent: this.#notSent };
    this.#endpoints = resolved.endpoints.map((url) => new Endpoint(url, endpointOptions));
  }

  /** A read, or with `wait: true` a long poll for the next change (re-issued when it ends empty). */
  get(request: GetRequest): Promise<EtcdResult> {
    return this.#send(encodeGet, request, false);
  }

  /** A PUT: set, create, update, compare-and-swap or refresh. */
  set(request: SetRequest): Promise<EtcdResult> {
    return this.#send(encodeSet, request, true);
  }

  /** A POST: creates an in-order key inside `request.key`. */
  append(request: AppendRequest): Promise<EtcdResult> {
    return this.#send(encodeAppend, request, true);
  }

  /** A DELETE, or a compare-and-delete. */
  delete(request: DeleteRequest): Promise<EtcdResult> {
    return this.#send(encodeDelete, request, true);
  }

  /**
   * Destroys every connection and rejects pending calls with a `ConnectionError` saying the client
   * was closed (an `OutcomeUnknown` for a pending write). Later calls reject at once. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    for (const call of this.#calls) call.abortOnClose();
    await Promise.all(this.#endpoints.map((endpoint) => endpoint.close()));
  }

  async #send<R extends CallOptions>(
    encode: (request: R) => WireRequest,
    request: R,
    write: boolean,
  ): Promise<EtcdResult> {
    if (this.#closing) throw new ConnectionError('the client was closed', { endpoint: this.url });
    const wire = encode(request);
    const { signal } = request;
    if (signal?.aborted) throw signal.reason;
    const timeout = request.timeout ?? (wire.wait ? Number.POSITIVE_INFINITY : this.#timeout);
    const endpoint = this.#endpoints[0] as Endpoint;
    const call = new Call(endpoint.url, write, timeout, signal);
    this.#calls.add(call);
    try {
      if (wire.wait) return await this.#wait(endpoint, wire, call);
      return decodeResponse(await this.#attempt(endpoint, wire, call));
    } finally {
      call.finish();
      this.#calls.delete(call);
    }
  }

  /**
   * Long-polls until an event arrives. A poll whose body ends empty (the server closed it first) is
   * re-issued, from the empty answer's `X-Etcd-Index + 1` when the caller gave no `waitIndex`, at
   * once the first time and after a growing pause (up to 1 s) while such answers keep coming fast.
   */
  async #wait(endpoint: Endpoint, wire: WireRequest, call: Call): Promise<EtcdResult> {
    let hasIndex = wire.params.some(([name]) => name === 'waitIndex');
    let quick = 0;
    for (;;) {
      const started = performance.now();
      const response = await this.#attempt(endpoint, wire, call);
      if (response.status !== 200 || response.body.trim() !== '') return decodeResponse(response);
      if (!hasIndex) {
        const index = headerValue(response.headers, 'x-etcd-index')?.trim();
        // Without the header this is not etcd's empty watch answer; the decoder reports it.
        if (index === undefined || !/^\d+$/.test(index)) return decodeResponse(response);
        wire = { ...wire, params: [...wire.params, ['waitIndex', String(Number(index) + 1)]] };
        hasIndex = true;
      }
      quick = performance.now() - started < QUICK_EMPTY_WAIT ? quick + 1 : 0;
      const pause = backoff(quick);
      if (pause > 0) await call.sleep(pause);
      else call.signal.throwIfAborted();
    }
  }

  /**
   * One HTTP exchange with one endpoint: the single place a request is sent (failover will choose
   * the endpoint around it). Resolves with the raw response; rejects with the call's abort reason
   * or a mapped `ConnectionError`.
   */
  async #attempt(endpoint: Endpoint, wire: WireRequest, call: Call): Promise<WireResponse> {
    call.endpoint = endpoint.url;
    const form = wire.method === 'PUT' || wire.method === 'POST';
    const path = form || wire.params.length === 0 ? wire.path : `${wire.path}?${formEncode(wire.params)}`;
    let response: Dispatcher.ResponseData | undefined;
    try {
      response = await (wire.wait ? endpoint.waits : endpoint.pool).request({
        path,
        method: wire.method,
        headers: form ? this.#formHeaders : this.#headers,
        body: form ? formEncode(wire.params) : null,
        signal: call.signal,
      });
      const body = await response.body.text();
      return { status: response.statusCode, headers: response.headers, body };
    } catch (error) {
      response?.body.destroy();
      if (call.signal.aborted) throw call.signal.reason;
      throw connectionFailure(error, endpoint.url, wire.method, call.write, this.#notSent);
    }
  }
}

import type { Layer } from '@etc/protocol';
import { checkTlsOptions, describe, type TlsOptions } from '@etc/protocol/internal';
import { parseEndpointsWithCredentials, type UrlCredentials } from './endpoints.js';

/** TLS client options for https endpoints, as Node's `tls.connect` takes them. */
export type HttpTlsOptions = TlsOptions;

/** The options of `HttpAdapter`. */
export interface HttpAdapterOptions {
  /**
   * One URL, a comma-separated list, or an array. Default `http://127.0.0.1:2379`. A URL may carry
   * `user:password@` (percent-encoded): that is the same as passing `auth`, and it is stripped from
   * `url` and `endpoints`.
   */
  endpoints?: string | readonly string[] | undefined;
  /**
   * Default per-call timeout in milliseconds for calls that are not waits; a call's own `timeout`
   * wins. Default `30_000`; `Infinity` means no default limit. Waits without their own timeout never
   * time out.
   */
  timeout?: number | undefined;
  /** TLS client options, used for https endpoints. */
  tls?: HttpTlsOptions | undefined;
  /**
   * HTTP Basic auth sent on every request (keys, waits, administration). The header is base64, so a
   * name or password cannot inject headers; neither is ever shown in errors or inspection.
   */
  auth?: { username: string; password: string } | undefined;
  /**
   * Max keep-alive connections per endpoint for ordinary calls (calls beyond it queue). Default 32.
   * Waits use their own connections, without a limit.
   */
  connections?: number | undefined;
  /**
   * Milliseconds one attempt on one member may take before the call moves on to the next member
   * (reads and waits) or gives up with `OutcomeUnknown` (writes). For a wait it bounds the time until
   * the member's response headers arrive, not the wait itself. Default: no limit per attempt (only
   * the call's own timeout applies).
   */
  attemptTimeout?: number | undefined;
  /**
   * Refresh the member list from `/v2/members` every this many milliseconds (a timer that does not
   * keep the process alive; cleared by `close()`). Default: never (call `adapter.sync()`).
   */
  syncInterval?: number | undefined;
  /**
   * Layers of your own (a key namespace, fault injection in tests, metrics), applied to every call
   * inside the deadline and before failover: see `@etc/protocol`'s layers.
   */
  layers?: readonly Layer[] | undefined;
}

/** The default per-call timeout, in milliseconds. */
export const DEFAULT_TIMEOUT = 30_000;
/** The default number of connections per endpoint for ordinary calls. */
export const DEFAULT_CONNECTIONS = 32;

/** Options after validation, with defaults applied. */
export interface ResolvedOptions {
  endpoints: string[];
  /** Milliseconds; `Infinity` for none. */
  timeout: number;
  tls: HttpTlsOptions | undefined;
  /** The `Authorization` header value, when auth is given. */
  authorization: string | undefined;
  connections: number;
  /** Milliseconds; `Infinity` for none. */
  attemptTimeout: number;
  /** Milliseconds; `undefined` for no background refresh. */
  syncInterval: number | undefined;
  layers: readonly Layer[];
}

function checkAuth(auth: unknown, fromUrl: UrlCredentials | undefined): string | undefined {
  if (auth === undefined)
    return fromUrl === undefined ? undefined : basic(fromUrl.username, fromUrl.password);
  if (typeof auth !== 'object' || auth === null) {
    throw new TypeError(`auth must be an object { username, password }, got ${typeof auth}`);
  }
  const { username, password } = auth as Record<string, unknown>;
  if (typeof username !== 'string')
    throw new TypeError(`auth.username must be a string, got ${describe(username)}`);
  // The password is never described: not even a mistyped one is echoed.
  if (typeof password !== 'string')
    throw new TypeError(`auth.password must be a string, got ${typeof password}`);
  if (fromUrl !== undefined && (fromUrl.username !== username || fromUrl.password !== password)) {
    throw new TypeError('the credentials in the endpoint URL differ from the auth option; give them once');
  }
  return basic(username, password);
}

function basic(username: string, password: string): string {
  if (username.includes(':')) throw new TypeError('auth.username must not contain ":" (HTTP Basic auth)');
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/** Checks user layers: an array of objects with a `name` and a `wrap` function. */
export function checkLayers(layers: unknown): readonly Layer[] {
  if (layers === undefined) return [];
  if (!Array.isArray(layers))
    throw new TypeError(`layers must be an array of layers, got ${describe(layers)}`);
  for (const layer of layers) {
    if (typeof layer !== 'object' || layer === null || typeof (layer as Layer).wrap !== 'function') {
      throw new TypeError(`each layer must be an object with a wrap(next) function, got ${describe(layer)}`);
    }
  }
  return Object.freeze([...layers]) as readonly Layer[];
}

/** Validates the options of `HttpAdapter`; throws a `TypeError` that names what is wrong. */
export function resolveOptions(options: HttpAdapterOptions | undefined): ResolvedOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`HttpAdapter options must be an object, got ${describe(options)}`);
  }
  const { timeout = DEFAULT_TIMEOUT, connections = DEFAULT_CONNECTIONS } = options;
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout <= 0) {
    throw new TypeError(
      `timeout must be a positive number of milliseconds (or Infinity), got ${describe(timeout)}`,
    );
  }
  if (typeof connections !== 'number' || !Number.isInteger(connections) || connections <= 0) {
    throw new TypeError(`connections must be a positive integer, got ${describe(connections)}`);
  }
  const { attemptTimeout = Number.POSITIVE_INFINITY, syncInterval } = options;
  if (typeof attemptTimeout !== 'number' || Number.isNaN(attemptTimeout) || attemptTimeout <= 0) {
    throw new TypeError(
      `attemptTimeout must be a positive number of milliseconds (or Infinity), got ${describe(attemptTimeout)}`,
    );
  }
  if (
    syncInterval !== undefined &&
    (typeof syncInterval !== 'number' || !Number.isFinite(syncInterval) || syncInterval <= 0)
  ) {
    throw new TypeError(
      `syncInterval must be a positive finite number of milliseconds, got ${describe(syncInterval)}`,
    );
  }
  const { endpoints, credentials } = parseEndpointsWithCredentials(options.endpoints);
  return {
    endpoints,
    layers: checkLayers(options.layers),
    attemptTimeout,
    syncInterval,
    timeout,
    tls: checkTlsOptions(options.tls),
    authorization: checkAuth(options.auth, credentials),
    connections,
  };
}

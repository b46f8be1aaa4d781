/** The options of `V3Adapter` and `etcdV3()`, checked before anything connects. */
import type { Layer } from '@etc/protocol';
import { checkTlsOptions, describe } from '@etc/protocol/internal';
import type { GrpcTlsOptions } from './grpc/connection.js';
import { DEFAULT_PREFIX } from './layout.js';

/** etcd's registered client URL, used when no endpoint is given. */
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:2379';
/** The default per-call timeout in milliseconds (waits without their own timeout have none). */
export const DEFAULT_TIMEOUT = 30_000;
/**
 * The default time one attempt on one member may take, in milliseconds: longer than etcd's own
 * request timeout with its default election timeout (5 s + 2 × 1 s), so no write etcd would still
 * answer is cut, and short enough that a call moves past a member that stopped answering with two
 * thirds of the default `timeout` left. (A write lost in a leader change ends sooner: see
 * `TermWatch` in `@etc/protocol`.)
 */
export const DEFAULT_ATTEMPT_TIMEOUT = 10_000;

/** The options of `V3Adapter`. */
export interface V3AdapterOptions {
  /** One URL, a comma-separated list, or an array (http:// or https://). Default `http://127.0.0.1:2379`. */
  endpoints?: string | readonly string[] | undefined;
  /**
   * Where the v2 tree lives in the v3 keyspace (default `/etc-v2`; a trailing `/` is ignored).
   * The v2 key `/a/b` is the v3 key `<prefix>/a/b` (see the README's "Layout").
   */
  prefix?: string | undefined;
  /**
   * Default per-call timeout in milliseconds for calls that are not waits; a call's own `timeout`
   * wins. Default `30_000`; `Infinity` means none. Waits without their own timeout never time out.
   */
  timeout?: number | undefined;
  /** TLS client options for https endpoints (mutual TLS with `cert` and `key`). */
  tls?: GrpcTlsOptions | undefined;
  /**
   * etcd v3 user and password: the adapter authenticates for a token, sends it with every call
   * and fetches a new one when etcd no longer accepts it.
   */
  auth?: { username: string; password: string } | undefined;
  /**
   * Milliseconds one attempt on one member may take before the call moves on to the next member
   * (reads and waits) or gives up with `OutcomeUnknown` (writes); for a wait it bounds only the time
   * until etcd has created the watch. Default `10_000` (above etcd's own request timeout of 5 s plus
   * two election timeouts, 7 s with etcd's defaults, so a write etcd still answers is not cut);
   * `Infinity`: no limit per attempt.
   */
  attemptTimeout?: number | undefined;
  /**
   * Milliseconds between HTTP/2 pings on a connection with calls or waits in flight (default
   * 10 000); a ping unanswered for as long closes the connection, so its calls fail (and waits move
   * on) instead of hanging on a member that vanished without closing. `Infinity`: no pings.
   */
  keepAlive?: number | undefined;
  /**
   * Layers of your own (a key namespace, fault injection in tests, metrics), applied to every call
   * inside the deadline and before failover: see `@etc/protocol`'s layers.
   */
  layers?: readonly Layer[] | undefined;
  /**
   * Milliseconds between refreshes of the member list in the background (etcd's MemberList, as
   * `sync()` does). Default: none (the endpoints given are the members used until `sync()`).
   */
  syncInterval?: number | undefined;
  /**
   * Accepted so that `etcd(url, options)` becomes `etcdV3(url, options)` unchanged, and checked
   * (a positive integer), but without effect: one HTTP/2 connection per member carries every call.
   */
  connections?: number | undefined;
}

/** Options after checks, with defaults. */
export interface ResolvedV3Options {
  endpoints: string[];
  prefix: string;
  timeout: number;
  tls: GrpcTlsOptions | undefined;
  auth: { username: string; password: string } | undefined;
  attemptTimeout: number;
  keepAlive: number;
  syncInterval: number | undefined;
  layers: readonly Layer[];
}

function checkLayers(layers: unknown): readonly Layer[] {
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

function positiveMs(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
    throw new TypeError(
      `${name} must be a positive number of milliseconds (or Infinity), got ${describe(value)}`,
    );
  }
  return value;
}

function parseOne(text: string): string {
  const trimmed = text.trim();
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new TypeError(
      `endpoint ${JSON.stringify(trimmed)} is not a URL (expected e.g. "http://127.0.0.1:2379")`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`endpoint ${JSON.stringify(trimmed)} must use http: or https:, not ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new TypeError(
      `endpoint ${JSON.stringify(trimmed)} must not carry credentials; pass them as the auth option`,
    );
  }
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw new TypeError(`endpoint ${JSON.stringify(trimmed)} must be only scheme, host and port`);
  }
  return url.origin;
}

function parseEndpoints(input: unknown): string[] {
  if (input === undefined) return [DEFAULT_ENDPOINT];
  const items = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(items))
    throw new TypeError(`endpoints must be a string or an array of strings, got ${describe(input)}`);
  const out: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string') throw new TypeError(`endpoint must be a string, got ${describe(item)}`);
    for (const part of item.split(',')) {
      if (part.trim() === '') continue;
      const url = parseOne(part);
      if (!out.includes(url)) out.push(url);
    }
  }
  if (out.length === 0) throw new TypeError('endpoints must name at least one URL');
  return out;
}

function checkAuth(auth: unknown): { username: string; password: string } | undefined {
  if (auth === undefined) return undefined;
  if (typeof auth !== 'object' || auth === null) {
    throw new TypeError(`auth must be an object { username, password }, got ${describe(auth)}`);
  }
  const { username, password } = auth as Record<string, unknown>;
  if (typeof username !== 'string' || username === '') {
    throw new TypeError(`auth.username must be a non-empty string, got ${describe(username)}`);
  }
  if (typeof password !== 'string') throw new TypeError('auth.password must be a string');
  return { username, password };
}

const known = new Set([
  'endpoints',
  'prefix',
  'timeout',
  'tls',
  'auth',
  'attemptTimeout',
  'keepAlive',
  'layers',
  'connections',
  'syncInterval',
]);

/** Checks the options; throws a `TypeError` naming what is wrong (never echoing a password). */
export function resolveV3Options(options: V3AdapterOptions | undefined): ResolvedV3Options {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`V3Adapter options must be an object, got ${describe(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (!known.has(name)) throw new TypeError(`unknown option "${name}" (allowed: ${[...known].join(', ')})`);
  }
  const { timeout = DEFAULT_TIMEOUT, prefix = DEFAULT_PREFIX, connections } = options;
  if (connections !== undefined && !(Number.isInteger(connections) && connections > 0)) {
    throw new TypeError(`connections must be a positive integer, got ${describe(connections)}`);
  }
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout <= 0) {
    throw new TypeError(
      `timeout must be a positive number of milliseconds (or Infinity), got ${describe(timeout)}`,
    );
  }
  const { syncInterval } = options;
  if (
    syncInterval !== undefined &&
    (typeof syncInterval !== 'number' || !Number.isFinite(syncInterval) || syncInterval <= 0)
  ) {
    throw new TypeError(
      `syncInterval must be a positive number of milliseconds, got ${describe(syncInterval)}`,
    );
  }
  if (typeof prefix !== 'string') throw new TypeError(`prefix must be a string, got ${describe(prefix)}`);
  const trimmed = prefix.replace(/\/+$/, '');
  if (/[\0]/.test(trimmed)) throw new TypeError('prefix must not contain NUL');
  return {
    endpoints: parseEndpoints(options.endpoints),
    prefix: trimmed,
    timeout,
    tls: checkTlsOptions(options.tls),
    auth: checkAuth(options.auth),
    attemptTimeout: positiveMs('attemptTimeout', options.attemptTimeout, DEFAULT_ATTEMPT_TIMEOUT),
    keepAlive: positiveMs('keepAlive', options.keepAlive, 10_000),
    syncInterval,
    layers: checkLayers(options.layers),
  };
}

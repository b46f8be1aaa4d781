import { BODY_EXCERPT_LENGTH, type EtcdError, etcdErrorFor, HTTPError, InvalidResponse } from './errors.js';
import { Directory, Node, Value } from './nodes.js';
import { type EtcdResult, resultFor } from './results.js';
import type { WireResponse } from './wire.js';

const rfc3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses an RFC 3339 time as etcd writes it (UTC `Z` or an offset, 0 to 9 fraction digits; the
 * fraction is truncated to milliseconds). Returns `undefined` for text that is not such a time.
 */
export function parseEtcdTime(text: string): Date | undefined {
  const utc = parseUtcTime(text);
  if (utc !== undefined) return utc;
  const m = rfc3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', z, sign, oh, om] = m;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  let time = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  if (!z) time -= (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) * 60_000;
  return Number.isNaN(time) ? undefined : new Date(time);
}

/** The number written by `count` digits at `at`, or -1 when one of them is not a digit. */
function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * The common case of `parseEtcdTime` without a regular expression: `YYYY-MM-DDTHH:MM:SS[.f…]Z`,
 * as etcd writes every expiration. `undefined` for anything else (the general parser decides).
 */
function parseUtcTime(text: string): Date | undefined {
  const n = text.length;
  if (n < 20 || n === 21 || n > 30) return undefined;
  if (text.charCodeAt(n - 1) !== 90 || text.charCodeAt(10) !== 84) return undefined; // Z, T
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return undefined; // -
  if (text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined; // :
  const y = digitsAt(text, 0, 4);
  const mo = digitsAt(text, 5, 2);
  const d = digitsAt(text, 8, 2);
  const h = digitsAt(text, 11, 2);
  const mi = digitsAt(text, 14, 2);
  const s = digitsAt(text, 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return undefined;
  let ms = 0;
  if (n > 20) {
    if (text.charCodeAt(19) !== 46 || digitsAt(text, 20, n - 21) < 0) return undefined; // .
    const fraction = text.slice(20, Math.min(23, n - 1));
    ms = Number(fraction.padEnd(3, '0'));
  }
  const time = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  return Number.isNaN(time) ? undefined : new Date(time);
}

/** The first value of a header, from lower-cased response headers. */
export function headerValue(headers: WireResponse['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * An index header (`X-Etcd-Index`, `X-Raft-Index`, `X-Raft-Term`): `undefined` when absent, the
 * number when it is a safe non-negative integer, `null` when it is anything else.
 */
function headerIndex(headers: WireResponse['headers'], name: string): number | null | undefined {
  const value = headerValue(headers, name);
  if (value === undefined) return undefined;
  // The common case, plain digits as etcd sends them, without a regular expression.
  if (value.length > 0 && value.length < 16) {
    let index = 0;
    for (let i = 0; i < value.length; i++) {
      const digit = value.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) return indexText(value);
      index = index * 10 + digit;
    }
    return index;
  }
  return indexText(value);
}

function indexText(value: string): number | null {
  const text = value.trim();
  if (!/^\d+$/.test(text)) return null;
  const index = Number(text);
  return Number.isSafeInteger(index) ? index : null;
}

export { BODY_EXCERPT_LENGTH };

/** The start of a body as errors keep it (at most `BODY_EXCERPT_LENGTH` characters). */
function excerpt(body: string): string {
  return body.length > BODY_EXCERPT_LENGTH ? body.slice(0, BODY_EXCERPT_LENGTH) : body;
}

const reasons: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(where: string, field: string, what: string): never {
  throw new TypeError(`${where}.${field} is not ${what}`);
}

/** An index etcd may send: a non-negative integer that a JavaScript number holds exactly. */
function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Builds a node, checking each field etcd may send; throws a `TypeError` naming a bad one. */
function nodeFrom(wire: unknown, where: string): Node {
  if (!isRecord(wire)) throw new TypeError(`${where} is not an object`);
  const { key, value, dir, expiration, ttl, modifiedIndex, createdIndex, nodes } = wire;
  if (key !== undefined && typeof key !== 'string') fail(where, 'key', 'a string');
  if (value !== undefined && typeof value !== 'string') fail(where, 'value', 'a string');
  if (dir !== undefined && typeof dir !== 'boolean') fail(where, 'dir', 'a boolean');
  // A negative ttl is etcd's answer when its expiry sweep runs late (the key is overdue).
  if (ttl !== undefined && !(typeof ttl === 'number' && Number.isSafeInteger(ttl)))
    fail(where, 'ttl', 'a safe integer');
  if (modifiedIndex !== undefined && !isIndex(modifiedIndex))
    fail(where, 'modifiedIndex', 'a safe non-negative integer');
  if (createdIndex !== undefined && !isIndex(createdIndex))
    fail(where, 'createdIndex', 'a safe non-negative integer');
  let expires: Date | undefined;
  if (expiration !== undefined) {
    expires = typeof expiration === 'string' ? parseEtcdTime(expiration) : undefined;
    if (!expires) fail(where, 'expiration', 'an RFC 3339 time');
  }
  const k = key ?? '/';
  if (dir === true) {
    if (nodes !== undefined && !Array.isArray(nodes)) fail(where, 'nodes', 'an array');
    const children = nodes?.map((child, i) => nodeFrom(child, `${where}.nodes[${i}]`));
    return new Directory({ key: k, modifiedIndex, createdIndex, ttl, expiration: expires, nodes: children });
  }
  if (typeof value === 'string') {
    return new Value({ key: k, modifiedIndex, createdIndex, ttl, expiration: expires, value });
  }
  return new Node({ key: k, modifiedIndex, createdIndex, ttl, expiration: expires });
}

/** Builds a node from its wire form; throws `InvalidResponse` when the shape is not etcd's. */
export function decodeNode(wire: unknown): Node {
  try {
    return nodeFrom(wire, 'node');
  } catch (error) {
    throw new InvalidResponse(
      200,
      `invalid node: ${(error as Error).message}`,
      excerpt(JSON.stringify(wire) ?? ''),
    );
  }
}

/** A body as `parseBody` read it: `json` is meaningful only when `parsed`. */
export interface ParsedBody {
  parsed: boolean;
  json: unknown;
}

/** Parses a response body as JSON; `parsed` is false for an empty body or text that is not JSON. */
export function parseBody(body: string): ParsedBody {
  if (body.trim() === '') return { parsed: false, json: undefined };
  try {
    return { parsed: true, json: JSON.parse(body) };
  } catch {
    return { parsed: false, json: undefined };
  }
}

/**
 * The one decoder: turns a keys-API response (status, headers, body text) into the result class of
 * its action, or throws the matching error (`EtcdError` subclass, `HTTPError`, `InvalidResponse`).
 * It is `parseBody` followed by `decodeResult`. Errors keep at most the first 200 characters of the
 * body (`HTTPError.body`) and never put the body, or anything of the request, in their message.
 */
export function decodeResponse(response: WireResponse): EtcdResult {
  const { status, headers, body } = response;
  const { parsed, json } = parseBody(body);
  if (!parsed) {
    if (status < 200 || status >= 300) throw notEtcd(status, body);
    const what = body.trim() === '' ? 'is empty' : 'is not valid JSON (truncated or not from etcd)';
    throw new InvalidResponse(status, `response body ${what}`, excerpt(body));
  }
  return decodeResult(status, headers, json, body);
}

function notEtcd(status: number, body: string): HTTPError {
  const reason = reasons[status] ? ` ${reasons[status]}` : '';
  return new HTTPError(status, `HTTP ${status}${reason} (not an etcd response)`, excerpt(body));
}

/**
 * The decoder's second half, for an adapter that already has the body as a JSON value (the mock
 * hands over the object it would have serialised): checks it as `decodeResponse` does and builds the
 * result, or throws. `body`, when given, is the text the errors keep an excerpt of; without it they
 * keep an excerpt of the JSON.
 */
export function decodeResult(
  status: number,
  headers: WireResponse['headers'],
  json: unknown,
  body?: string,
): EtcdResult {
  if (isRecord(json) && typeof json.errorCode === 'number') throw decodeError(status, json, headers, body);
  if (status < 200 || status >= 300) throw notEtcd(status, body ?? JSON.stringify(json) ?? '');
  if (!isRecord(json) || typeof json.action !== 'string' || !isRecord(json.node)) {
    throw new InvalidResponse(
      status,
      'response body has no "action" and "node" (not an etcd result)',
      excerptOf(json, body),
    );
  }
  const etcdIndex = headerIndex(headers, 'x-etcd-index');
  if (etcdIndex === undefined)
    throw new InvalidResponse(status, 'response has no X-Etcd-Index header', excerptOf(json, body));
  if (etcdIndex === null) {
    throw new InvalidResponse(
      status,
      'the X-Etcd-Index header is not a safe non-negative integer',
      excerptOf(json, body),
    );
  }
  const raftIndex = headerIndex(headers, 'x-raft-index');
  const raftTerm = headerIndex(headers, 'x-raft-term');
  if (raftIndex === null || raftTerm === null) {
    const name = raftIndex === null ? 'X-Raft-Index' : 'X-Raft-Term';
    throw new InvalidResponse(
      status,
      `the ${name} header is not a safe non-negative integer`,
      excerptOf(json, body),
    );
  }
  let node: Node;
  let prevNode: Node | undefined;
  try {
    node = nodeFrom(json.node, 'node');
    if (json.prevNode !== undefined) prevNode = nodeFrom(json.prevNode, 'prevNode');
  } catch (error) {
    throw new InvalidResponse(status, `invalid result: ${(error as Error).message}`, excerptOf(json, body));
  }
  return resultFor({ action: json.action, node, prevNode, etcdIndex, raftIndex, raftTerm });
}

/** The excerpt an error keeps: of the body text when there is one, else of the JSON value. */
function excerptOf(json: unknown, body: string | undefined): string {
  return excerpt(body ?? JSON.stringify(json) ?? '');
}

function decodeError(
  status: number,
  json: Record<string, unknown>,
  headers: WireResponse['headers'],
  body: string | undefined,
): EtcdError | InvalidResponse {
  let index: number | undefined;
  if (json.index !== undefined) {
    if (!isIndex(json.index)) {
      return new InvalidResponse(
        status,
        'error body: index is not a safe non-negative integer',
        excerptOf(json, body),
      );
    }
    index = json.index;
  } else {
    const header = headerIndex(headers, 'x-etcd-index');
    index = header ?? undefined;
  }
  return etcdErrorFor({
    errorCode: json.errorCode as number,
    message: typeof json.message === 'string' ? json.message : undefined,
    cause: typeof json.cause === 'string' ? json.cause : undefined,
    index,
  });
}

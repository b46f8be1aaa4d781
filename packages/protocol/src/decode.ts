import { type EtcdError, etcdErrorFor, HTTPError, InvalidResponse } from './errors.js';
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
  const m = rfc3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', z, sign, oh, om] = m;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  let time = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  if (!z) time -= (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) * 60_000;
  return Number.isNaN(time) ? undefined : new Date(time);
}

/** The first value of a header, from lower-cased response headers. */
export function headerValue(headers: WireResponse['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function headerIndex(headers: WireResponse['headers'], name: string): number | undefined {
  const value = headerValue(headers, name);
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value);
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

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** Builds a node, checking each field etcd may send; throws a `TypeError` naming a bad one. */
function nodeFrom(wire: unknown, where: string): Node {
  if (!isRecord(wire)) throw new TypeError(`${where} is not an object`);
  const { key, value, dir, expiration, ttl, modifiedIndex, createdIndex, nodes } = wire;
  if (key !== undefined && typeof key !== 'string') fail(where, 'key', 'a string');
  if (value !== undefined && typeof value !== 'string') fail(where, 'value', 'a string');
  if (dir !== undefined && typeof dir !== 'boolean') fail(where, 'dir', 'a boolean');
  if (ttl !== undefined && !isIndex(ttl)) fail(where, 'ttl', 'a non-negative integer');
  if (modifiedIndex !== undefined && !isIndex(modifiedIndex))
    fail(where, 'modifiedIndex', 'a non-negative integer');
  if (createdIndex !== undefined && !isIndex(createdIndex))
    fail(where, 'createdIndex', 'a non-negative integer');
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
    throw new InvalidResponse(200, `invalid node: ${(error as Error).message}`, JSON.stringify(wire) ?? '');
  }
}

/**
 * The one decoder: turns a keys-API response (status, headers, body) into the result class of its
 * action, or throws the matching error (`EtcdError` subclass, `HTTPError`, `InvalidResponse`).
 */
export function decodeResponse(response: WireResponse): EtcdResult {
  const { status, headers, body } = response;
  let json: unknown;
  let parsed = false;
  if (body.trim() !== '') {
    try {
      json = JSON.parse(body);
      parsed = true;
    } catch {
      // Not JSON: handled below as a non-etcd response.
    }
  }
  if (parsed && isRecord(json) && typeof json.errorCode === 'number') throw decodeError(json, headers);
  if (status < 200 || status >= 300) {
    const reason = reasons[status] ? ` ${reasons[status]}` : '';
    throw new HTTPError(status, `HTTP ${status}${reason} (not an etcd response)`, body);
  }
  if (!parsed) {
    const what = body.trim() === '' ? 'is empty' : 'is not valid JSON (truncated or not from etcd)';
    throw new InvalidResponse(status, `response body ${what}`, body);
  }
  if (!isRecord(json) || typeof json.action !== 'string' || !isRecord(json.node)) {
    throw new InvalidResponse(status, 'response body has no "action" and "node" (not an etcd result)', body);
  }
  const etcdIndex = headerIndex(headers, 'x-etcd-index');
  if (etcdIndex === undefined) throw new InvalidResponse(status, 'response has no X-Etcd-Index header', body);
  let node: Node;
  let prevNode: Node | undefined;
  try {
    node = nodeFrom(json.node, 'node');
    if (json.prevNode !== undefined) prevNode = nodeFrom(json.prevNode, 'prevNode');
  } catch (error) {
    throw new InvalidResponse(status, `invalid result: ${(error as Error).message}`, body);
  }
  return resultFor({
    action: json.action,
    node,
    prevNode,
    etcdIndex,
    raftIndex: headerIndex(headers, 'x-raft-index'),
    raftTerm: headerIndex(headers, 'x-raft-term'),
  });
}

function decodeError(json: Record<string, unknown>, headers: WireResponse['headers']): EtcdError {
  const index = typeof json.index === 'number' ? json.index : headerIndex(headers, 'x-etcd-index');
  return etcdErrorFor({
    errorCode: json.errorCode as number,
    message: typeof json.message === 'string' ? json.message : undefined,
    cause: typeof json.cause === 'string' ? json.cause : undefined,
    index,
  });
}

import type { WireResponse } from '@etc/protocol';

/** How far apart the two servers' `expiration` times may be, in milliseconds. */
export const expirationTolerance = 3_000;

const rfc3339Nano = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{0,8}[1-9])?Z$/;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Maps an etcd-side index to the logical one (0 stays 0: parse errors report index 0). */
function logical(n: number, offset: number): number {
  return n === 0 ? 0 : n - offset;
}

/** Rewrites indexes inside etcd's text: 20-digit in-order names and `[a != b]` / `[s/r]` causes. */
function logicalText(text: string, offset: number): string {
  return text
    .replace(
      /\/(\d{20})(?=\/|$)/g,
      (_, n: string) => `/${String(logical(Number(n), offset)).padStart(20, '0')}`,
    )
    .replace(
      /\[(\d+) != (\d+)\]/g,
      (_, a: string, b: string) => `[${logical(Number(a), offset)} != ${logical(Number(b), offset)}]`,
    )
    .replace(
      /\[(\d+)\/(\d+)\]/g,
      (_, a: string, b: string) => `[${logical(Number(a), offset)}/${logical(Number(b), offset)}]`,
    );
}

const indexFields = new Set(['modifiedIndex', 'createdIndex', 'index']);

/** The etcd side's JSON with every index made logical. */
function logicalJson(value: Json, offset: number, field?: string): Json {
  if (typeof value === 'number' && field && indexFields.has(field)) return logical(value, offset);
  if (typeof value === 'string' && field && (field === 'key' || field === 'cause'))
    return logicalText(value, offset);
  if (Array.isArray(value)) return value.map((v) => logicalJson(v, offset));
  if (value && typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) out[k] = logicalJson(v, offset, k);
    return out;
  }
  return value;
}

/** Sorts every `nodes` array by key (for listings whose order etcd randomises). */
function sortNodes(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortNodes);
  if (value && typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] =
        k === 'nodes' && Array.isArray(v)
          ? [...v.map(sortNodes)].sort((a, b) => String(key(a)).localeCompare(String(key(b))))
          : sortNodes(v);
    }
    return out;
  }
  return value;
}

function key(node: Json): Json | undefined {
  return node && typeof node === 'object' && !Array.isArray(node) ? node.key : undefined;
}

/** The first difference between two JSON values, or undefined; tolerant on `expiration` and `ttl`. */
function jsonDiff(mock: Json, etcd: Json, path: string): string | undefined {
  const field = path.slice(path.lastIndexOf('.') + 1);
  if (field === 'expiration' && typeof mock === 'string' && typeof etcd === 'string') {
    if (!rfc3339Nano.test(mock)) return `${path}: mock ${mock} is not RFC 3339 UTC with trimmed nanoseconds`;
    const delta = Math.abs(Date.parse(mock) - Date.parse(etcd));
    return delta <= expirationTolerance ? undefined : `${path}: ${mock} vs ${etcd} (${delta} ms apart)`;
  }
  if (field === 'ttl' && typeof mock === 'number' && typeof etcd === 'number') {
    return Math.abs(mock - etcd) <= Math.ceil(expirationTolerance / 1000)
      ? undefined
      : `${path}: ${mock} vs ${etcd}`;
  }
  if (Array.isArray(mock) || Array.isArray(etcd)) {
    if (!Array.isArray(mock) || !Array.isArray(etcd))
      return `${path}: ${JSON.stringify(mock)} vs ${JSON.stringify(etcd)}`;
    if (mock.length !== etcd.length) return `${path}: length ${mock.length} vs ${etcd.length}`;
    for (let i = 0; i < mock.length; i++) {
      const d = jsonDiff(mock[i] as Json, etcd[i] as Json, `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (mock && etcd && typeof mock === 'object' && typeof etcd === 'object') {
    const mk = Object.keys(mock).join(',');
    const ek = Object.keys(etcd).join(',');
    if (mk !== ek) return `${path}: fields ${mk} vs ${ek}`;
    for (const k of Object.keys(mock)) {
      const d = jsonDiff(mock[k] as Json, etcd[k] as Json, `${path}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  return mock === etcd ? undefined : `${path}: ${JSON.stringify(mock)} vs ${JSON.stringify(etcd)}`;
}

function header(response: WireResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parse(body: string): Json | undefined {
  try {
    return JSON.parse(body) as Json;
  } catch {
    return undefined;
  }
}

/**
 * Compares a mock response with an etcd response to the same request and returns the first
 * difference (or undefined). Normalised: etcd indexes shifted by `offset` (its index minus the
 * mock's at the start), cluster id and raft headers by presence only, expiration/ttl within a
 * tolerance, and child order when the listing was not `sorted`.
 */
export function compareResponses(
  mock: WireResponse,
  etcd: WireResponse,
  options: { offset: number; sorted: boolean },
): string | undefined {
  if (mock.status !== etcd.status) return `status ${mock.status} vs ${etcd.status}`;
  const mockIndex = header(mock, 'x-etcd-index');
  const etcdIndex = header(etcd, 'x-etcd-index');
  const etcdLogical =
    etcdIndex === undefined ? undefined : String(logical(Number(etcdIndex), options.offset));
  if (mockIndex !== etcdLogical) return `x-etcd-index ${mockIndex} vs ${etcdLogical} (etcd ${etcdIndex})`;
  for (const name of ['x-etcd-cluster-id', 'x-raft-index', 'x-raft-term', 'content-type']) {
    if ((header(mock, name) === undefined) !== (header(etcd, name) === undefined)) {
      return `header ${name}: ${header(mock, name)} vs ${header(etcd, name)}`;
    }
  }
  if (header(mock, 'content-type') !== header(etcd, 'content-type')) {
    return `content-type ${header(mock, 'content-type')} vs ${header(etcd, 'content-type')}`;
  }
  const mockJson = parse(mock.body);
  const etcdJson = parse(etcd.body);
  if (mockJson === undefined || etcdJson === undefined) {
    return mock.body === etcd.body
      ? undefined
      : `body ${JSON.stringify(mock.body)} vs ${JSON.stringify(etcd.body)}`;
  }
  if (mock.body.endsWith('\n') !== etcd.body.endsWith('\n')) return 'trailing newline differs';
  let left = mockJson;
  let right = logicalJson(etcdJson, options.offset);
  if (!options.sorted) {
    left = sortNodes(left);
    right = sortNodes(right);
  }
  return jsonDiff(left, right, 'body');
}

/** Parses a keys-API request's parameters as etcd's v2http `parseKeyRequest` does. */
import type {
  AppendRequest,
  DeleteRequest,
  GetRequest,
  SetRequest,
  WireMethod,
  WireRequest,
} from '@etc/protocol';
import { Ecode, StoreFailure } from './failure.js';

/** A parsed keys-API request (etcd's `etcdserverpb.Request` before it is applied). */
export interface KeyRequest {
  method: WireMethod;
  /** The normalised key. */
  key: string;
  value: string;
  dir: boolean;
  /** `''` means no condition. */
  prevValue: string;
  /** `0n` means no condition; a bigint because etcd accepts any uint64. */
  prevIndex: bigint;
  prevExist: boolean | undefined;
  wait: boolean;
  /** `0` means the current index + 1. */
  waitIndex: number;
  recursive: boolean;
  sorted: boolean;
  quorum: boolean;
  stream: boolean;
  noValueOnSuccess: boolean;
  refresh: boolean;
  /** Seconds, as sent; `undefined` when absent or empty (no TTL). */
  ttl: bigint | undefined;
}

const trueWords = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const falseWords = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);
const maxUint64 = (1n << 64n) - 1n;

/** Go's `strconv.ParseBool`; `undefined` for anything else. */
export function parseGoBool(text: string): boolean | undefined {
  if (trueWords.has(text)) return true;
  if (falseWords.has(text)) return false;
  return undefined;
}

/** Go's `strconv.ParseUint(text, 10, 64)`; `undefined` for anything else. */
export function parseGoUint(text: string): bigint | undefined {
  if (!/^[0-9]+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value > maxUint64 ? undefined : value;
}

function invalid(code: number, cause: string): StoreFailure {
  return new StoreFailure(code, cause, 0);
}

/** Parses the parameters of `request`; throws a `StoreFailure` (index 0) as etcd does for bad ones. */
export function parseKeyRequest(request: WireRequest): KeyRequest {
  const form = new Map<string, string>();
  for (const [name, value] of request.params) if (!form.has(name)) form.set(name, value);

  const uint = (name: string): bigint => {
    const text = form.get(name);
    if (text === undefined) return 0n;
    const value = parseGoUint(text);
    if (value === undefined) throw invalid(Ecode.IndexNaN, `invalid value for "${name}"`);
    return value;
  };
  const bool = (name: string, cause = `invalid value for "${name}"`): boolean => {
    const text = form.get(name);
    if (text === undefined) return false;
    const value = parseGoBool(text);
    if (value === undefined) throw invalid(Ecode.InvalidField, cause);
    return value;
  };

  const prevIndex = uint('prevIndex');
  const waitIndex = uint('waitIndex');
  const recursive = bool('recursive');
  const sorted = bool('sorted');
  const wait = bool('wait');
  const dir = bool('dir');
  const quorum = bool('quorum');
  const stream = bool('stream');
  if (wait && request.method !== 'GET')
    throw invalid(Ecode.InvalidField, '"wait" can only be used with GET requests');
  const prevValue = form.get('prevValue') ?? '';
  if (form.has('prevValue') && prevValue === '')
    throw invalid(Ecode.PrevValueRequired, '"prevValue" cannot be empty');
  const noValueOnSuccess = bool('noValueOnSuccess');

  let ttl: bigint | undefined;
  const ttlText = form.get('ttl') ?? '';
  if (ttlText !== '') {
    ttl = parseGoUint(ttlText);
    if (ttl === undefined) throw invalid(Ecode.TTLNaN, 'invalid value for "ttl"');
  }
  const prevExist = form.has('prevExist') ? bool('prevExist', 'invalid value for prevExist') : undefined;
  const refresh = form.has('refresh') ? bool('refresh', 'invalid value for refresh') : false;
  if (refresh) {
    if ((form.get('value') ?? '') !== '')
      throw invalid(Ecode.RefreshValue, 'A value was provided on a refresh');
    if (ttl === undefined) throw invalid(Ecode.RefreshTTLRequired, 'No TTL value set');
  }

  return {
    method: request.method,
    key: request.key,
    value: form.get('value') ?? '',
    dir,
    prevValue,
    prevIndex,
    prevExist,
    wait,
    waitIndex: waitIndex > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(waitIndex),
    recursive,
    sorted,
    quorum,
    stream,
    noValueOnSuccess,
    refresh,
    ttl,
  };
}

const minExpireTime = Date.UTC(2000, 0, 1);

/**
 * The expiration (ms since the epoch) of a `ttl` given at `now`, as etcd computes it: Go's int64
 * nanosecond arithmetic wraps for huge TTLs, and times before 2000-01-01 mean permanent
 * (`undefined`).
 */
export function expirationOf(ttl: bigint | undefined, now: number): number | undefined {
  if (ttl === undefined) return undefined;
  const offset = BigInt.asIntN(64, BigInt.asIntN(64, ttl) * 1_000_000_000n);
  const nanos = BigInt.asIntN(64, BigInt(now) * 1_000_000n + offset);
  if (nanos === 0n) return undefined;
  const ms = Number(nanos / 1_000_000n);
  return ms < minExpireTime ? undefined : ms;
}

/** The typed requests of `@etc/protocol`'s `Adapter`, by operation. */
export type TypedRequest =
  | { operation: 'get'; request: GetRequest }
  | { operation: 'set'; request: SetRequest }
  | { operation: 'append'; request: AppendRequest }
  | { operation: 'delete'; request: DeleteRequest };

function plainIndex(value: number | undefined): bigint | undefined | null {
  if (value === undefined) return undefined;
  return Number.isSafeInteger(value) && value >= 0 ? BigInt(value) : null;
}

function plainText(value: string | undefined): string | null {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : null;
}

/**
 * The parsed form of a typed request, built directly: the same as `parseKeyRequest` of its
 * encoding (`encodeGet`...), for the common requests. Returns `undefined` for anything that etcd
 * would answer with a parameter error, or that the encoders would turn into unusual text (a
 * refresh, an empty `prevValue`, a number that is not a safe non-negative integer, a value that is
 * not a string...): the caller then takes the wire path, which answers those exactly as etcd does.
 */
export function keyRequestOf(
  operation: string,
  request: GetRequest | SetRequest | DeleteRequest,
): KeyRequest | undefined {
  const base: KeyRequest = {
    method: 'GET',
    key: request.key,
    value: '',
    dir: false,
    prevValue: '',
    prevIndex: 0n,
    prevExist: undefined,
    wait: false,
    waitIndex: 0,
    recursive: false,
    sorted: false,
    quorum: false,
    stream: false,
    noValueOnSuccess: false,
    refresh: false,
    ttl: undefined,
  };
  switch (operation) {
    case 'get': {
      const get = request as GetRequest;
      base.recursive = !!get.recursive;
      base.sorted = !!get.sorted;
      base.quorum = !!get.quorum;
      if (get.wait) {
        base.wait = true;
        const waitIndex = plainIndex(get.waitIndex);
        if (waitIndex === null) return undefined;
        base.waitIndex = waitIndex === undefined ? 0 : Number(waitIndex);
      }
      return base;
    }
    case 'set':
    case 'append': {
      const set = request as SetRequest;
      if (set.refresh) return undefined;
      base.method = operation === 'set' ? 'PUT' : 'POST';
      base.dir = !!set.dir;
      if (!base.dir) {
        const value = plainText(set.value);
        if (value === null) return undefined;
        base.value = value;
      }
      const ttl = plainIndex(set.ttl);
      if (ttl === null) return undefined;
      base.ttl = ttl;
      if (operation === 'append') return base;
      return compareFields(base, set) ? withPrevExist(base, set.prevExist) : undefined;
    }
    case 'delete': {
      const del = request as DeleteRequest;
      base.method = 'DELETE';
      base.dir = !!del.dir;
      base.recursive = !!del.recursive;
      return compareFields(base, del) ? base : undefined;
    }
    default:
      return undefined;
  }
}

/** Fills `prevValue` and `prevIndex`; false when they are not plain (an empty `prevValue` is etcd's error 201). */
function compareFields(
  base: KeyRequest,
  request: { prevValue?: string | undefined; prevIndex?: number | undefined },
): boolean {
  if (request.prevValue !== undefined) {
    if (typeof request.prevValue !== 'string' || request.prevValue === '') return false;
    base.prevValue = request.prevValue;
  }
  const prevIndex = plainIndex(request.prevIndex);
  if (prevIndex === null) return false;
  base.prevIndex = prevIndex ?? 0n;
  return true;
}

function withPrevExist(base: KeyRequest, prevExist: boolean | undefined): KeyRequest | undefined {
  if (prevExist !== undefined && typeof prevExist !== 'boolean') return undefined;
  base.prevExist = prevExist;
  return base;
}

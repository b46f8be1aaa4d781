/**
 * Where the v2 tree lives in the v3 keyspace (see the package README, "Layout"). For a prefix `P`
 * (default `/etc-v2`) and a normalised v2 key `/a/b`:
 *
 * - a file is the v3 key `P/a/b`, its value the v2 value;
 * - a directory is the v3 key `P/a/b/` (trailing slash), value empty; the root `P/` is implicit;
 * - every v2 write also puts `P//event` (a key no v2 path can map to) with the v2 action as JSON,
 *   in the same transaction, so watchers learn the action and in-order names can be predicted;
 * - a node with a TTL is attached to a lease of its own whose id carries the expiration time; the
 *   nodes inside a directory with a TTL are bound to its lease, again whenever its TTL changes.
 */
import type { KeyValue } from './proto/messages.js';

/** The default place of the v2 tree in the v3 keyspace. */
export const DEFAULT_PREFIX = '/etc-v2';

/**
 * The first key after every key that starts with `prefix` (etcd's "prefix end"); the prefixes
 * used here always end in an ASCII character such as `/`.
 */
export function prefixEnd(prefix: string): string {
  const last = prefix.charCodeAt(prefix.length - 1);
  if (!(last < 0x7f)) throw new RangeError('prefixEnd needs a prefix that ends in an ASCII character');
  return `${prefix.slice(0, -1)}${String.fromCharCode(last + 1)}`;
}

/** A v2 node named by a v3 key: its normalised path and whether it is a directory. */
export interface TreePath {
  path: string;
  dir: boolean;
}

/** The key scheme for one prefix. */
export class Layout {
  /** The prefix without a trailing slash, e.g. `/etc-v2`. */
  readonly prefix: string;
  /** `P//event`: the action record every v2 write puts. */
  readonly eventKey: string;
  /** The start of the whole tree range, `P/`. */
  readonly treeStart: string;
  /** The end of the whole tree range (exclusive). */
  readonly treeEnd: string;
  private readonly metaStart: string;

  constructor(prefix: string) {
    this.prefix = prefix;
    this.treeStart = `${prefix}/`;
    this.treeEnd = prefixEnd(this.treeStart);
    this.metaStart = `${prefix}//`;
    this.eventKey = `${prefix}//event`;
  }

  /** The v3 key of the file at the v2 path `path`, e.g. `/etc-v2/a/b`. */
  fileKey(path: string): string {
    return `${this.prefix}${path}`;
  }

  /** The v3 key of the directory at the v2 path `path`, e.g. `/etc-v2/a/b/` (the root: `/etc-v2/`). */
  dirKey(path: string): string {
    return path === '/' ? this.treeStart : `${this.prefix}${path}/`;
  }

  /** The v2 node a v3 key stands for; `undefined` for meta keys and keys outside the tree. */
  pathOf(key: string): TreePath | undefined {
    if (!key.startsWith(this.treeStart) || key.startsWith(this.metaStart) || key === this.treeStart) {
      return undefined;
    }
    const rest = key.slice(this.prefix.length);
    return rest.endsWith('/') ? { path: rest.slice(0, -1), dir: true } : { path: rest, dir: false };
  }
}

/** The mark a stored value with metadata begins with (`\0etc\0{json}\0value`). */
export const ENVELOPE_MARK = '\0etc\0';
const envelopeMark = ENVELOPE_MARK;

/**
 * Every stored value greater than this (bytewise) is a raw v2 value, without metadata: a wrapped
 * value continues the mark with `{`, and U+00FF (UTF-8 `c3 bf`) sorts after it. Values of printable
 * text are all greater; the few raw values that are not (empty, or beginning with a NUL) simply
 * fail a compare against it.
 */
export const RAW_VALUE_FLOOR = `${envelopeMark}\u00ff`;

/** Metadata a node's value carries when v3's own fields cannot say it. */
export interface NodeMeta {
  /** The v2 `createdIndex`: 0 means "this version's mod_revision" (a `set` that replaced a file). */
  created?: number;
  /**
   * The v2 `modifiedIndex` when it differs from mod_revision: a directory's TTL update keeps the
   * directory's, and that of every node inside it that the update bound to another lease.
   */
  modified?: number;
  /**
   * 1 when the node's lease is its directory's (a node inside a directory with a TTL is bound to
   * that lease so it goes with the directory); the node itself then has no TTL.
   */
  inherit?: 1;
  /** The node's own expiration (ms since the epoch) while it is bound to its directory's lease. */
  expires?: number;
}

/**
 * Encodes a stored value: the v2 value itself, unless metadata must be kept or the value starts
 * with the envelope mark; then `\0etc\0{json}\0value`.
 */
export function encodeValue(value: string, meta: NodeMeta | undefined): string {
  if (meta === undefined && !value.startsWith(envelopeMark)) return value;
  return `${envelopeMark}${JSON.stringify(meta ?? {})}\0${value}`;
}

/** Splits a stored value into the v2 value and its metadata. */
export function decodeValue(raw: string): { value: string; meta: NodeMeta | undefined } {
  if (!raw.startsWith(envelopeMark)) return { value: raw, meta: undefined };
  const end = raw.indexOf('\0', envelopeMark.length);
  if (end < 0) return { value: raw, meta: undefined };
  let meta: NodeMeta | undefined;
  try {
    const parsed = JSON.parse(raw.slice(envelopeMark.length, end)) as unknown;
    if (typeof parsed === 'object' && parsed !== null) meta = parsed as NodeMeta;
  } catch {
    return { value: raw, meta: undefined };
  }
  return { value: raw.slice(end + 1), meta };
}

/** The v2 `createdIndex` of a stored node. */
export function createdIndexOf(kv: KeyValue): number {
  const { meta } = decodeValue(kv.value);
  if (meta?.created === 0) return kv.modRevision;
  return meta?.created ?? kv.createRevision;
}

/** The expiration time of a node's own TTL (ms since the epoch), or `undefined`. */
export function expirationOf(kv: KeyValue): number | undefined {
  if (kv.lease === 0n) return undefined;
  const meta = decodeValue(kv.value).meta;
  if (meta?.inherit) return meta.expires;
  return expirationOfLease(kv.lease);
}

/** The v2 `modifiedIndex` of a stored node. */
export function modifiedIndexOf(kv: KeyValue): number {
  const { meta } = decodeValue(kv.value);
  return meta?.modified ?? kv.modRevision;
}

const leaseRandomBits = 20n;

/**
 * A lease id that carries an expiration time (ms since the epoch) in its high bits and random low
 * bits (or the given ones, e.g. a sequence, taken modulo 2^20), so a node's `expiration` needs no
 * extra call.
 */
export function leaseIdFor(expiresAt: number, low?: number): bigint {
  const size = 2 ** Number(leaseRandomBits);
  const bits = low === undefined ? Math.floor(Math.random() * size) : ((low % size) + size) % size;
  return (BigInt(Math.max(0, Math.floor(expiresAt))) << leaseRandomBits) | BigInt(bits);
}

/** The expiration time (ms since the epoch) a lease id carries; `undefined` for no lease. */
export function expirationOfLease(lease: bigint): number | undefined {
  if (lease <= 0n) return undefined;
  return Number(lease >> leaseRandomBits);
}

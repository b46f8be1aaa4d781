/** Key rules: `'/a/b'`, `'a/b'` and `'/a/b/'` name the same key; each segment is percent-encoded on the wire. */

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/**
 * A key already in normal form whose segments need no percent-encoding and are not `.`/`..`
 * (no segment starts with a dot): the common case, answered without splitting.
 */
const plainKey = /^(?:\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+$/;

/**
 * Normalises a key to `/a/b` form (`/` for the root). Throws a `TypeError` for a non-string, an
 * empty key, a `.` or `..` segment, or text that is not valid Unicode.
 */
export function normalizeKey(key: unknown): string {
  if (typeof key !== 'string') throw new TypeError(`key must be a string, got ${describe(key)}`);
  if (plainKey.test(key)) return key;
  if (key === '') throw new TypeError('key must not be empty (use "/" for the root)');
  if (loneSurrogate.test(key)) throw new TypeError(`key ${JSON.stringify(key)} is not valid Unicode`);
  const segments = key.split('/').filter((segment) => segment !== '');
  for (const segment of segments) {
    if (segment === '.' || segment === '..') {
      throw new TypeError(`key ${JSON.stringify(key)} has a "${segment}" segment, which etcd does not allow`);
    }
  }
  return `/${segments.join('/')}`;
}

/** The URL path of a normalised key: `/v2/keys` followed by each segment percent-encoded. */
export function keyPath(key: string): string {
  if (key === '/') return '/v2/keys/';
  if (plainKey.test(key)) return `/v2/keys${key}`;
  return `/v2/keys${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** True when the last segment of a normalised key starts with `_` (etcd leaves such keys out of listings). */
export function isHiddenKey(key: string): boolean {
  const last = key.slice(key.lastIndexOf('/') + 1);
  return last.startsWith('_');
}

/** True when a string holds no lone UTF-16 surrogate (so it survives UTF-8 encoding unchanged). */
export function isWellFormedText(text: string): boolean {
  return !loneSurrogate.test(text);
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return `${typeof value} ${String(value)}`;
  }
  return typeof value === 'object' ? 'an object' : typeof value;
}

/**
 * Compares two strings by their UTF-8 bytes (Go's string order, which is code point order): the
 * order etcd sorts keys in. Emulators sort listings with it.
 */
export function compareBytes(a: string, b: string): number {
  const x = a[Symbol.iterator]();
  const y = b[Symbol.iterator]();
  for (;;) {
    const p = x.next();
    const q = y.next();
    if (p.done || q.done) return p.done ? (q.done ? 0 : -1) : 1;
    const d = (p.value.codePointAt(0) ?? 0) - (q.value.codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
}

/**
 * v2 role permissions (key patterns) as v3 role permissions (key ranges) in the layout of
 * `layout.ts`, and back. For the prefix `P`:
 *
 * - a prefix pattern `X*` (v2's `prefixMatch`: `/app/*`, `/app*`, `/*`) is the v3 range of every key
 *   that starts with `P` + `X`;
 * - an exact pattern `/a/b` (v2's `simpleMatch`) is the two keys `P/a/b` (the file) and `P/a/b/` (the
 *   directory), each a single-key permission;
 * - what the v2 operations of the adapter need besides the node itself, added as single-key ranges
 *   `[k, k + "\0")` (a form no pattern maps to, so they are told apart when read back): read of the
 *   file and directory keys of every ancestor directory of the pattern (a write reads them to find
 *   the parents, as etcd's v2 store does, and a missing key's error names the first missing one),
 *   and read of the event key `P//event` (every read takes the revision from it), write too when
 *   the role writes anything (every v2 write records its action there).
 *
 * Reading the v3 permissions back, the ranges above become the v2 patterns again and the added
 * ranges are left out; any other permission (made with etcdctl v3, or outside the prefix) is shown
 * as `v3:` followed by the key (`v3:k`), the prefix (`v3:k*`) or the range (`v3:["k","end")`), so
 * that nothing is hidden and nothing is shown as a pattern it is not.
 */
import type { Layout } from './layout.js';
import { type KeyPermission, PermissionType } from './proto/messages.js';

/** Read and write patterns, as v2 keeps them. */
export interface Patterns {
  read: string[];
  write: string[];
}

/** Access as bits: 1 read, 2 write. */
export type Access = 1 | 2 | 3;

/** One v3 range: a key (`rangeEnd` empty) or `[key, rangeEnd)`. */
export interface Span {
  key: string;
  rangeEnd: string;
}

/** The map key of a span. */
export function spanId(span: Span): string {
  return JSON.stringify([span.key, span.rangeEnd]);
}

function spanOf(id: string): Span {
  const [key, rangeEnd] = JSON.parse(id) as [string, string];
  return { key, rangeEnd };
}

export function accessOf(permType: number): Access {
  return permType === PermissionType.READ ? 1 : permType === PermissionType.WRITE ? 2 : 3;
}

export function permTypeOf(access: Access): number {
  return access === 1 ? PermissionType.READ : access === 2 ? PermissionType.WRITE : PermissionType.READWRITE;
}

/**
 * The end of the range of keys that start with `start`: the last character's code point plus one
 * (UTF-8 sorts as code points, so this is etcd's prefix end of the same bytes), dropping a last
 * character that has no successor; "\0" (every key after `start`) when none is left.
 */
export function rangeEndOf(start: string): string {
  for (let i = start.length - 1; i >= 0; i--) {
    const code = start.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdfff) continue; // half of a pair: widen to the character before
    if (code < 0xffff) {
      const next = code + 1 === 0xd800 ? 0xe000 : code + 1;
      return `${start.slice(0, i)}${String.fromCharCode(next)}`;
    }
  }
  return '\0';
}

/** The spans a pattern stands for, and the ancestor directories it needs to read. */
export function patternSpans(layout: Layout, pattern: string): { spans: Span[]; ancestors: string[] } {
  const prefix = pattern.endsWith('*');
  const x = prefix ? pattern.slice(0, -1) : pattern;
  const spans: Span[] = prefix
    ? [{ key: `${layout.prefix}${x}`, rangeEnd: rangeEndOf(`${layout.prefix}${x}`) }]
    : [
        { key: `${layout.prefix}${x}`, rangeEnd: '' },
        { key: `${layout.prefix}${x}/`, rangeEnd: '' },
      ];
  // The directories above what the pattern covers: `/a/b/c*` and `/a/b/c` → /a, /a/b.
  const ancestors: string[] = [];
  if (x.startsWith('/')) {
    for (let at = x.indexOf('/', 1); at !== -1; at = x.indexOf('/', at + 1)) ancestors.push(x.slice(0, at));
  }
  return { spans, ancestors };
}

function single(key: string): Span {
  return { key, rangeEnd: `${key}\0` };
}

function add(map: Map<string, Access>, span: Span, access: Access): void {
  map.set(spanId(span), ((map.get(spanId(span)) ?? 0) | access) as Access);
}

/**
 * The v3 permissions a role with these v2 patterns has: each span with its access (read and write
 * of one span merged), plus the added reads and the event key (see the file's comment).
 */
export function v3Permissions(layout: Layout, patterns: Patterns): Map<string, Access> {
  const map = new Map<string, Access>();
  const needs = new Map<string, Access>();
  for (const [list, access] of [
    [patterns.read, 1],
    [patterns.write, 2],
  ] as const) {
    for (const pattern of list) {
      const { spans, ancestors } = patternSpans(layout, pattern);
      for (const span of spans) add(map, span, access);
      for (const dir of ancestors) {
        add(needs, single(layout.fileKey(dir)), 1);
        add(needs, single(layout.dirKey(dir)), 1);
      }
    }
  }
  if (patterns.read.length + patterns.write.length > 0) {
    add(needs, single(layout.eventKey), patterns.write.length > 0 ? 3 : 1);
  }
  for (const [id, access] of needs) map.set(id, ((map.get(id) ?? 0) | access) as Access);
  return map;
}

function display(span: Span): string {
  if (span.rangeEnd === '') return `v3:${span.key}`;
  if (span.key !== '' && span.rangeEnd === rangeEndOf(span.key)) return `v3:${span.key}*`;
  return `v3:${JSON.stringify([span.key, span.rangeEnd])}`;
}

/**
 * The v2 patterns of a role's v3 permissions (several entries of one span merged, as etcd checks
 * them), sorted as v2 keeps them; permissions that are not the image of a pattern come last as
 * `v3:` descriptions.
 */
export function v2Patterns(layout: Layout, perms: readonly KeyPermission[]): Patterns {
  const have = new Map<string, Access>();
  for (const perm of perms) add(have, perm, accessOf(perm.permType));
  const read = new Set<string>();
  const write = new Set<string>();
  // What of each entry's access no pattern explains (shown as `v3:` at the end).
  const left = new Map(have);
  const take = (id: string, access: number) => {
    const rest = (left.get(id) ?? 0) & ~access;
    if (rest === 0) left.delete(id);
    else left.set(id, rest as Access);
  };
  const grant = (pattern: string, access: number) => {
    if (access & 1) read.add(pattern);
    if (access & 2) write.add(pattern);
  };
  const p = layout.prefix;
  for (const [id, access] of have) {
    const span = spanOf(id);
    if (!span.key.startsWith(p)) continue;
    const x = span.key.slice(p.length);
    if (span.rangeEnd !== '' && span.rangeEnd === rangeEndOf(span.key)) {
      grant(`${x}*`, access);
      take(id, access);
    } else if (span.rangeEnd === '' && !x.endsWith('/')) {
      // An exact pattern: the file key and the directory key, with the access both have.
      const dirId = spanId({ key: `${span.key}/`, rangeEnd: '' });
      const both = access & (have.get(dirId) ?? 0);
      if (both !== 0) {
        grant(x, both);
        take(id, both);
        take(dirId, both);
      }
    }
  }
  // The added reads and event key of the patterns found are theirs.
  for (const [id, access] of v3Permissions(layout, { read: [...read], write: [...write] })) {
    if (left.has(id)) take(id, access);
  }
  const rest = [...left].map(([id, access]): [Span, Access] => [spanOf(id), access]);
  const readList = [...read].sort();
  const writeList = [...write].sort();
  for (const [span, access] of rest.sort((a, b) =>
    a[0].key < b[0].key ? -1 : a[0].key > b[0].key ? 1 : 0,
  )) {
    if (access & 1) readList.push(display(span));
    if (access & 2) writeList.push(display(span));
  }
  return { read: readList, write: writeList };
}

/** One change to a role's v3 permissions. */
export type PermissionChange = { grant: Span; permType: number } | { revoke: Span };

/**
 * The changes that take a role from the v3 permissions `current` (etcd's entries) to those of the
 * v2 patterns `next`, given the patterns it had (`before`): spans of `before` that `next` no longer
 * needs are revoked, spans `next` needs are granted with their whole access. etcd replaces the type
 * of an entry it finds and may append another entry for the same span instead, so a span whose
 * access must shrink is revoked (every entry of it) before it is granted again. Permissions that no
 * pattern stands for are left alone.
 */
export function permissionChanges(
  layout: Layout,
  current: readonly KeyPermission[],
  before: Patterns,
  next: Patterns,
): PermissionChange[] {
  const have = new Map<string, Access>();
  for (const perm of current) add(have, perm, accessOf(perm.permType));
  const old = v3Permissions(layout, before);
  const want = v3Permissions(layout, next);
  const changes: PermissionChange[] = [];
  for (const [id, access] of want) {
    const now = have.get(id);
    if (now === access) continue;
    const span = spanOf(id);
    if (now !== undefined && (now & ~access) !== 0) changes.push({ revoke: span });
    changes.push({ grant: span, permType: permTypeOf(access) });
  }
  for (const id of old.keys()) {
    if (!want.has(id) && have.has(id)) changes.push({ revoke: spanOf(id) });
  }
  return changes;
}

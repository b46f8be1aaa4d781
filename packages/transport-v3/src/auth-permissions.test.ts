import { describe, expect, it } from 'vitest';
import { permissionChanges, rangeEndOf, v2Patterns, v3Permissions } from './auth-permissions.js';
import { Layout } from './layout.js';
import type { KeyPermission } from './proto/messages.js';

const layout = new Layout('/p');

/** The v3 entries etcd would hold for a map of `v3Permissions`. */
function entries(map: Map<string, number>): KeyPermission[] {
  return [...map].map(([id, access]) => {
    const [key, rangeEnd] = JSON.parse(id) as [string, string];
    return { key, rangeEnd, permType: access === 1 ? 0 : access === 2 ? 1 : 2 };
  });
}

describe('v2 patterns as v3 permissions', () => {
  it('maps a prefix pattern to a prefix range, an exact one to the file and directory keys', () => {
    const map = v3Permissions(layout, { read: ['/app/*', '/one'], write: ['/a/b*'] });
    expect(Object.fromEntries(map)).toEqual({
      '["/p/app/","/p/app0"]': 1,
      '["/p/one",""]': 1,
      '["/p/one/",""]': 1,
      '["/p/a/b","/p/a/c"]': 2,
      // What the operations need besides: the ancestors' keys (read) and the event key.
      '["/p/app","/p/app\\u0000"]': 1,
      '["/p/app/","/p/app/\\u0000"]': 1,
      '["/p/a","/p/a\\u0000"]': 1,
      '["/p/a/","/p/a/\\u0000"]': 1,
      '["/p//event","/p//event\\u0000"]': 3,
    });
    // Only reads: the event key is read only; no pattern, nothing at all.
    expect(v3Permissions(layout, { read: ['/*'], write: [] }).get('["/p//event","/p//event\\u0000"]')).toBe(
      1,
    );
    expect(v3Permissions(layout, { read: [], write: [] }).size).toBe(0);
    expect(rangeEndOf('/p/caf\u00e9')).toBe('/p/caf\u00ea');
    expect(rangeEndOf('')).toBe('\0');
  });

  it('reads v3 permissions back as the patterns, the added ranges hidden, anything else as v3:', () => {
    const patterns = { read: ['/a/b*', '/app/*', '/one'], write: ['/app/*', '/one'] };
    const held = entries(v3Permissions(layout, patterns));
    expect(v2Patterns(layout, held)).toEqual(patterns);
    // Entries made elsewhere (etcdctl v3, another prefix) are shown for what they are.
    const foreign: KeyPermission[] = [
      { key: 'other', rangeEnd: '', permType: 0 },
      { key: 'x/', rangeEnd: 'x0', permType: 1 },
      { key: 'a', rangeEnd: 'q', permType: 2 },
      { key: '/p/lonely', rangeEnd: '', permType: 0 },
    ];
    expect(v2Patterns(layout, [...held, ...foreign])).toEqual({
      read: ['/a/b*', '/app/*', '/one', 'v3:/p/lonely', 'v3:["a","q"]', 'v3:other'],
      write: ['/app/*', '/one', 'v3:["a","q"]', 'v3:x/*'],
    });
    // An exact pattern with read on the file key only is not the pattern.
    expect(
      v2Patterns(layout, [
        { key: '/p/f', rangeEnd: '', permType: 2 },
        { key: '/p/f/', rangeEnd: '', permType: 0 },
      ]),
    ).toEqual({
      read: ['/f'],
      write: ['v3:/p/f'],
    });
    // Two entries of one range (etcd may append a second one) count as one.
    expect(
      v2Patterns(layout, [
        { key: '/p/x/', rangeEnd: '/p/x0', permType: 0 },
        { key: '/p/x/', rangeEnd: '/p/x0', permType: 1 },
        { key: '/p//event', rangeEnd: '/p//event\0', permType: 2 },
        { key: '/p/x', rangeEnd: '/p/x\0', permType: 0 },
      ]),
    ).toEqual({ read: ['/x/*'], write: ['/x/*'] });
  });

  it('changes only what differs; a range whose access shrinks is revoked before it is granted again', () => {
    const before = { read: ['/app/*'], write: ['/app/*'] };
    const held = entries(v3Permissions(layout, before));
    const next = { read: ['/app/*'], write: [] };
    expect(permissionChanges(layout, held, before, next)).toEqual([
      { revoke: { key: '/p/app/', rangeEnd: '/p/app0' } },
      { grant: { key: '/p/app/', rangeEnd: '/p/app0' }, permType: 0 },
      { revoke: { key: '/p//event', rangeEnd: '/p//event\0' } },
      { grant: { key: '/p//event', rangeEnd: '/p//event\0' }, permType: 0 },
    ]);
    // Granting more: granted with the whole access, nothing revoked.
    expect(permissionChanges(layout, entries(v3Permissions(layout, next)), next, before)).toEqual([
      { grant: { key: '/p/app/', rangeEnd: '/p/app0' }, permType: 2 },
      { grant: { key: '/p//event', rangeEnd: '/p//event\0' }, permType: 2 },
    ]);
    // The last pattern goes: its ranges, its ancestors and the event key go too; others stay.
    const foreign = { key: 'other', rangeEnd: '', permType: 0 };
    expect(permissionChanges(layout, [...held, foreign], before, { read: [], write: [] })).toEqual([
      { revoke: { key: '/p/app/', rangeEnd: '/p/app0' } },
      { revoke: { key: '/p/app', rangeEnd: '/p/app\0' } },
      { revoke: { key: '/p/app/', rangeEnd: '/p/app/\0' } },
      { revoke: { key: '/p//event', rangeEnd: '/p//event\0' } },
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import {
  decodeAuthNames,
  decodeRoleGet,
  encodeAuthName,
  encodeAuthUserPassword,
  encodeAuthUserRole,
  encodeRoleGrantPermission,
  encodeRoleRevokePermission,
} from './messages.js';
import { ProtoWriter } from './protobuf.js';

const bytes = (s: string) => [...Buffer.from(s)];

describe('the Auth service messages', () => {
  it('encodes requests as etcd numbers their fields', () => {
    expect([...encodeAuthName('app')]).toEqual([0x0a, 3, ...bytes('app')]);
    expect([...encodeAuthUserPassword('u', 'pw')]).toEqual([0x0a, 1, ...bytes('u'), 0x12, 2, ...bytes('pw')]);
    expect([...encodeAuthUserRole('u', 'r')]).toEqual([0x0a, 1, ...bytes('u'), 0x12, 1, ...bytes('r')]);
    // AuthRoleGrantPermissionRequest: name 1, perm 2 { permType 1 (READ = 0 left out), key 2, range_end 3 }.
    expect([...encodeRoleGrantPermission('r', { permType: 0, key: '/a', rangeEnd: '' })]).toEqual([
      0x0a,
      1,
      ...bytes('r'),
      0x12,
      4,
      0x12,
      2,
      ...bytes('/a'),
    ]);
    expect([...encodeRoleGrantPermission('r', { permType: 2, key: 'a', rangeEnd: 'b' })]).toEqual([
      0x0a,
      1,
      ...bytes('r'),
      0x12,
      8,
      0x08,
      2,
      0x12,
      1,
      ...bytes('a'),
      0x1a,
      1,
      ...bytes('b'),
    ]);
    expect([...encodeRoleRevokePermission('r', 'a', 'b')]).toEqual([
      0x0a,
      1,
      ...bytes('r'),
      0x12,
      1,
      ...bytes('a'),
      0x1a,
      1,
      ...bytes('b'),
    ]);
  });

  it('decodes name lists and role permissions, skipping fields it does not know', () => {
    const header = new ProtoWriter().uint(3, 42).finish();
    const names = new ProtoWriter()
      .message(1, header)
      .bytes(2, 'alice')
      .bytes(2, 'bob')
      .bytes(9, 'future')
      .finish();
    expect(decodeAuthNames(names)).toMatchObject({ header: { revision: 42 }, names: ['alice', 'bob'] });
    const perm = (type: number, key: string, end: string) =>
      new ProtoWriter().uint(1, type).bytes(2, key).bytes(3, end).bytes(7, 'x').finish();
    const role = new ProtoWriter()
      .message(1, header)
      .message(2, perm(0, '/p/a', ''))
      .message(2, perm(2, '/p/b/', '/p/b0'))
      .finish();
    expect(decodeRoleGet(role).perms).toEqual([
      { permType: 0, key: '/p/a', rangeEnd: '' },
      { permType: 2, key: '/p/b/', rangeEnd: '/p/b0' },
    ]);
  });
});

import { compareBytes } from '@etc/protocol/internal';
import { describe, expect, it } from 'vitest';
import {
  createdIndexOf,
  decodeValue,
  encodeValue,
  expirationOf,
  expirationOfLease,
  Layout,
  leaseIdFor,
  prefixEnd,
} from './layout.js';

const kv = (
  value: string,
  extra: Partial<{ createRevision: number; modRevision: number; lease: bigint }> = {},
) => ({
  key: 'k',
  value,
  createRevision: 5,
  modRevision: 9,
  version: 2,
  lease: 0n,
  ...extra,
});

describe('layout', () => {
  it('maps v2 files and directories to v3 keys and back; meta keys are not nodes', () => {
    const layout = new Layout('/etc-v2');
    expect(layout.fileKey('/a/b')).toBe('/etc-v2/a/b');
    expect(layout.dirKey('/a/b')).toBe('/etc-v2/a/b/');
    expect(layout.dirKey('/')).toBe('/etc-v2/');
    expect(layout.eventKey).toBe('/etc-v2//event');
    expect(layout.treeEnd).toBe('/etc-v20');
    expect(layout.pathOf('/etc-v2/a/b')).toEqual({ path: '/a/b', dir: false });
    expect(layout.pathOf('/etc-v2/a/b/')).toEqual({ path: '/a/b', dir: true });
    expect(layout.pathOf('/etc-v2//event')).toBeUndefined();
    expect(layout.pathOf('/etc-v2/')).toBeUndefined();
    expect(layout.pathOf('/other/a')).toBeUndefined();
    expect(prefixEnd('/x/')).toBe('/x0');
  });

  it('keeps values raw unless metadata is needed or the value looks like an envelope', () => {
    expect(encodeValue('plain', undefined)).toBe('plain');
    expect(decodeValue('plain')).toEqual({ value: 'plain', meta: undefined });
    const tricky = '\0etc\0{}\0not meta';
    expect(decodeValue(encodeValue(tricky, undefined))).toEqual({ value: tricky, meta: {} });
    const withMeta = encodeValue('v\0w', { created: 3 });
    expect(decodeValue(withMeta)).toEqual({ value: 'v\0w', meta: { created: 3 } });
  });

  it('reads createdIndex from create_revision, an absolute override, or "this revision"', () => {
    expect(createdIndexOf(kv('x'))).toBe(5);
    expect(createdIndexOf(kv(encodeValue('x', { created: 2 })))).toBe(2);
    expect(createdIndexOf(kv(encodeValue('x', { created: 0 })))).toBe(9);
  });

  it('carries the expiration time in the lease id; an inherited lease is no TTL of the node', () => {
    const at = Date.UTC(2030, 0, 1, 0, 0, 0, 123);
    const id = leaseIdFor(at);
    expect(id > 0n && id < 2n ** 63n).toBe(true);
    expect(expirationOfLease(id)).toBe(at);
    expect(expirationOf(kv('x', { lease: id }))).toBe(at);
    expect(expirationOf(kv(encodeValue('x', { inherit: 1 }), { lease: id }))).toBeUndefined();
    expect(expirationOfLease(0n)).toBeUndefined();
  });

  it('orders strings by UTF-8 bytes as etcd sorts keys', () => {
    const keys = ['/é', '/a', '/B', '/9', '/10', '/\u{1F600}', '/\uFFFD'];
    expect([...keys].sort(compareBytes)).toEqual(['/10', '/9', '/B', '/a', '/é', '/\uFFFD', '/\u{1F600}']);
  });
});

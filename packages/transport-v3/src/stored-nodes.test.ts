// storedNodes against the shared etcd (its v3 API), under a prefix of its own.
import { Directory, Value } from '@etc/client';
import { afterAll, expect, inject, it } from 'vitest';
import { importV2Tree } from './import.js';
import { pageLimit, type StoredNode, storedNodes } from './stored-nodes.js';
import { V3Adapter } from './v3-adapter.js';

const url = inject('etcdUrl');
const adapter = new V3Adapter({ endpoints: url, prefix: `/stored-${process.pid}` });
afterAll(() => adapter.close());

async function all(pageSize: number): Promise<StoredNode[]> {
  const out: StoredNode[] = [];
  for await (const node of storedNodes(adapter, { pageSize })) out.push(node);
  return out;
}

it('every stored node in key order, page by page at one revision, decoded as etcdV3 reads it', async () => {
  const later = new Date(Date.now() + 600_000);
  await importV2Tree(adapter, [
    new Directory({
      key: '/',
      nodes: [
        new Directory({
          key: '/tmp',
          expiration: later,
          nodes: [new Value({ key: '/tmp/in', value: 'goes with /tmp' })],
        }),
        new Value({ key: '/a', value: '\u0000etc\u0000{"created":1}\u0000looks like metadata' }),
        new Value({ key: '/ttl', value: 't', expiration: later }),
      ],
    }),
    new Value({ key: '/app/_hidden', value: 'h' }),
  ]);
  const want = [
    {
      key: '/a',
      dir: false,
      value: '\u0000etc\u0000{"created":1}\u0000looks like metadata',
      expiration: undefined,
    },
    { key: '/app', dir: true, value: undefined, expiration: undefined },
    { key: '/app/_hidden', dir: false, value: 'h', expiration: undefined },
    { key: '/tmp', dir: true, value: undefined, expiration: later },
    { key: '/tmp/in', dir: false, value: 'goes with /tmp', expiration: undefined },
    { key: '/ttl', dir: false, value: 't', expiration: later },
  ];
  expect(await all(5_000)).toEqual(want);
  // Pages of 2 (the action record `P//event` is in the range and left out): the same nodes.
  expect(await all(2)).toEqual(want);
  // Pages sized by bytes (a few bytes: 100 keys a page after the first): the same nodes.
  const bytesPaged: StoredNode[] = [];
  for await (const node of storedNodes(adapter, { pageBytes: 10 })) bytesPaged.push(node);
  expect(bytesPaged).toEqual(want);
  // A re-import after the first page (only /zzz: the rest is deleted) is not seen by the rest of
  // the walk: every page is read at the revision of the first.
  const walk = storedNodes(adapter, { pageSize: 1 });
  const first = await walk.next();
  await importV2Tree(adapter, new Value({ key: '/zzz', value: 'new' }));
  const rest: StoredNode[] = [];
  for await (const node of walk) rest.push(node);
  expect([first.value, ...rest]).toEqual(want);
  await expect(storedNodes(adapter, { pageSize: 0 }).next()).rejects.toThrow(RangeError);
  await expect(storedNodes(adapter, { pageBytes: 0 }).next()).rejects.toThrow(RangeError);
  await expect(storedNodes({} as V3Adapter).next()).rejects.toThrow(TypeError);
});

it('pages of about pageBytes: 2,000 keys first, then as many as the bytes per key so far allow, 100 to pageSize', () => {
  expect(pageLimit(20_000, 4 * 1024 * 1024, 0, 0)).toBe(2_000);
  expect(pageLimit(500, 4 * 1024 * 1024, 0, 0)).toBe(500);
  // 200 bytes a key: 20,971 fit in 4 MiB, capped at pageSize.
  expect(pageLimit(20_000, 4 * 1024 * 1024, 2_000, 400_000)).toBe(20_000);
  // 1 MiB a key: 4 fit, but a page has at least 100 (or pageSize when smaller).
  expect(pageLimit(20_000, 4 * 1024 * 1024, 10, 10 * 1024 * 1024)).toBe(100);
  expect(pageLimit(50, 4 * 1024 * 1024, 10, 10 * 1024 * 1024)).toBe(50);
  // 10 KiB a key: 409.
  expect(pageLimit(20_000, 4 * 1024 * 1024, 100, 100 * 10 * 1024)).toBe(409);
});

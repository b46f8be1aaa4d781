import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { expect, test } from 'vitest';
import { SnapshotTree } from './snapshot-tree.js';

const spools = () => readdirSync(tmpdir()).filter((name) => name.startsWith('etcctl-migrate-'));

test('nodes come back in the order added, values as they were (newlines, quotes, non-ASCII, long), again and again', () => {
  const before = spools().length;
  const tree = new SnapshotTree();
  const at = Date.parse('2030-01-01T00:00:00.000Z');
  const long = 'é'.repeat(1_500_000); // 3 MB in UTF-8: longer than the read buffer
  const nodes = [
    { key: '/d', dir: true, value: undefined, expiration: new Date(at) },
    { key: '/d/line\nbreak', dir: false, value: 'a\nb\r\n"q"\\\u0000', expiration: undefined },
    { key: '/d/unicode', dir: false, value: 'ünïcødé 🚀 中文', expiration: undefined },
    { key: '/long', dir: false, value: long, expiration: new Date(at + 1) },
    { key: '/empty', dir: false, value: '', expiration: undefined },
  ];
  for (const node of nodes) tree.add(node.key, node.dir, node.value, node.expiration?.getTime());
  // Enough small nodes to cross the 1 MiB write and read chunks many times.
  for (let i = 0; i < 30_000; i++)
    tree.add(`/many/k${i}`, false, `value ${i} ${'x'.repeat(i % 97)}`, undefined);
  // The file is unlinked at once: nothing left in the temporary directory.
  expect(spools().length).toBe(before);
  expect({ size: tree.size, files: tree.files, dirs: tree.dirs, ttls: tree.ttls }).toEqual({
    size: 30_005,
    files: 30_004,
    dirs: 1,
    ttls: 2,
  });
  for (let pass = 0; pass < 2; pass++) {
    const got = [...tree];
    expect(got.length).toBe(30_005);
    expect(got.slice(0, 5)).toEqual(nodes);
    expect(got[30_004]).toEqual({
      key: '/many/k29999',
      dir: false,
      value: `value 29999 ${'x'.repeat(29_999 % 97)}`,
      expiration: undefined,
    });
  }
  expect([...tree.expiring()]).toEqual([
    ['/d', at],
    ['/long', at + 1],
  ]);
  expect(tree.digest().count).toBe(30_005);
  tree.close();
  tree.close();
  expect(() => [...tree]).toThrow(/closed/);
});

test('growing(): a reader takes each chunk as it is written, waits for the next, and ends with end()', async () => {
  const tree = new SnapshotTree();
  const seen: string[] = [];
  let chunks = 0;
  const reading = (async () => {
    for await (const nodes of tree.growing()) {
      chunks++;
      for (const node of nodes) seen.push(node.key);
    }
  })();
  // Enough to fill more than one 1 MiB chunk: the reader gets the first before the rest is added.
  const value = 'v'.repeat(200);
  for (let i = 0; i < 6_000; i++) tree.add(`/k${i}`, false, value, undefined);
  await new Promise((resolve) => setImmediate(resolve));
  const early = seen.length;
  expect(early).toBeGreaterThan(0);
  expect(early).toBeLessThan(6_000);
  tree.add('/last', true, undefined, 42);
  expect(tree.ended).toBe(false);
  tree.end();
  await reading;
  expect(tree.ended).toBe(true);
  expect(seen).toHaveLength(6_001);
  expect(seen[6_000]).toBe('/last');
  expect(chunks).toBeGreaterThan(1);
  // A second reader after the end reads it all at once, as iterating does.
  const again: string[] = [];
  for await (const nodes of tree.growing()) for (const node of nodes) again.push(node.key);
  expect(again).toEqual(seen);
  tree.close();
});

test('growing(): fail() makes a waiting reader throw the error; close() one that waits throw', async () => {
  const failing = new SnapshotTree();
  failing.add('/a', false, 'x', undefined);
  const cut = new Error('the answer was cut');
  const read = (async () => {
    const keys: string[] = [];
    for await (const nodes of failing.growing()) for (const node of nodes) keys.push(node.key);
    return keys;
  })();
  await new Promise((resolve) => setImmediate(resolve));
  failing.fail(cut);
  await expect(read).rejects.toBe(cut);
  failing.close();
  const closed = new SnapshotTree();
  const waiting = (async () => {
    for await (const _ of closed.growing()) {
      // nothing added
    }
  })();
  await new Promise((resolve) => setImmediate(resolve));
  closed.close();
  await expect(waiting).rejects.toThrow(/closed/);
});

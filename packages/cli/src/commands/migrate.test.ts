import { describe, expect, test } from 'vitest';
import { CliError } from '../cli-error.js';
import { ExitCode } from '../exit-codes.js';
import { differences, verify } from './migrate.js';
import { SnapshotTree } from './snapshot-tree.js';

test('differences: every kind of mismatch, one line each; none for equal trees', async () => {
  const at = new Date('2030-01-01T00:00:00.000Z');
  // As the snapshot hands them out: depth first.
  const file = (key: string, value: string, expiration?: Date) => ({ key, dir: false, value, expiration });
  const dir = (key: string) => ({ key, dir: true, value: undefined, expiration: undefined });
  const source = [
    file('/same', 'v'),
    file('/value', 'v2'),
    file('/ttl', 't', at),
    dir('/kind'),
    file('/gone', 'g'),
    dir('/d'),
    file('/d/in', ''),
  ];
  // As storedNodes() reads the v3 keyspace: flat, in key order.
  const stored = [
    { key: '/d', dir: true, value: undefined, expiration: undefined },
    { key: '/d/in', dir: false, value: '', expiration: undefined },
    { key: '/extra', dir: true, value: undefined, expiration: undefined },
    { key: '/kind', dir: false, value: '', expiration: undefined },
    { key: '/same', dir: false, value: 'v', expiration: undefined },
    { key: '/ttl', dir: false, value: 't', expiration: undefined },
    { key: '/value', dir: false, value: 'v3', expiration: undefined },
  ];
  expect(await differences(source, stored)).toEqual([
    'only in v3: /extra/',
    'differs: /kind: a directory in v2, a file in v3',
    'differs: /ttl: expires 2030-01-01T00:00:00.000Z in v2, no TTL in v3',
    'differs: /value: value "v2" in v2, "v3" in v3',
    'missing in v3: /gone',
  ]);
  const same = stored
    .filter((node) => node.key !== '/extra')
    .map((node) =>
      node.key === '/kind'
        ? { ...node, dir: true, value: undefined }
        : node.key === '/ttl'
          ? { ...node, expiration: at }
          : node.key === '/value'
            ? { ...node, value: 'v2' }
            : node,
    );
  same.push({ key: '/gone', dir: false, value: 'g', expiration: undefined });
  expect(await differences(source, same)).toEqual([]);
});

describe('verify: the closing check by digest', () => {
  const at = new Date('2030-01-01T00:00:00.000Z');
  type Given = { key: string; dir: boolean; value?: string; expiration?: Date };
  const snapshotOf = (nodes: Given[]) => {
    const tree = new SnapshotTree();
    for (const n of nodes) tree.add(n.key, n.dir, n.value, n.expiration?.getTime());
    return tree;
  };
  const source: Given[] = [
    { key: '/d', dir: true },
    { key: '/d/a', dir: false, value: 'a' },
    { key: '/t', dir: false, value: 't', expiration: at },
  ];
  const stored = (nodes: Given[]) =>
    async function* () {
      // As storedNodes() reads them: in key order, not the snapshot's.
      yield* [...nodes]
        .sort((x, y) => (x.key < y.key ? 1 : -1))
        .map((n) => ({
          key: n.key,
          dir: n.dir,
          value: n.dir ? undefined : n.value,
          expiration: n.expiration,
        }));
    };
  const io = () => {
    const printed: string[] = [];
    const warned: string[] = [];
    return {
      printed,
      warned,
      ctx: {
        print: (lines: string[]) => printed.push(...lines),
        warn: (lines: string[]) => warned.push(...lines),
      },
    };
  };

  test('equal trees in another order: verified, nothing read twice', async () => {
    const tree = snapshotOf(source);
    const out = io();
    let reads = 0;
    const read = stored(source);
    await verify(out.ctx, tree, tree.digest(), () => {
      reads++;
      return read();
    });
    expect(out.printed).toEqual(['verified: 3 nodes read back from the v3 keyspace equal the snapshot']);
    expect(out.warned).toEqual([]);
    expect(reads).toBe(1);
    tree.close();
  });

  test('a difference: read again and compared node by node, the differences printed, status 6', async () => {
    const tree = snapshotOf(source);
    const out = io();
    const changed = [
      source[0],
      { ...source[1], value: 'A' },
      { key: '/x', dir: false, value: 'x' },
    ] as Given[];
    const error = await verify(out.ctx, tree, tree.digest(), stored(changed)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(ExitCode.verifyFailed);
    expect((error as Error).message).toBe(
      'Error:  verification: 3 differences between the v2 snapshot and the v3 tree',
    );
    expect(out.warned).toEqual([
      'only in v3: /x',
      'differs: /d/a: value "a" in v2, "A" in v3',
      'missing in v3: /t',
    ]);
    expect(out.printed).toEqual([]);
    tree.close();
  });

  test('an expiration a millisecond off is a difference', async () => {
    const tree = snapshotOf(source);
    const out = io();
    const off = source.map((n) => (n.key === '/t' ? { ...n, expiration: new Date(at.getTime() + 1) } : n));
    await expect(verify(out.ctx, tree, tree.digest(), stored(off))).rejects.toMatchObject({
      exitCode: ExitCode.verifyFailed,
    });
    expect(out.warned).toEqual([
      'differs: /t: expires 2030-01-01T00:00:00.000Z in v2, expires 2030-01-01T00:00:00.001Z in v3',
    ]);
    tree.close();
  });

  test('a tree that differed at the first read and not at the second: still status 6, with both digests', async () => {
    const tree = snapshotOf(source);
    const out = io();
    let reads = 0;
    const error = await verify(out.ctx, tree, tree.digest(), () => {
      reads++;
      return (reads === 1 ? stored(source.slice(1)) : stored(source))();
    }).catch((e: unknown) => e);
    expect((error as CliError).exitCode).toBe(ExitCode.verifyFailed);
    expect(out.warned).toHaveLength(1);
    expect(out.warned[0]).toMatch(
      /^differs: the v3 tree read back \(2 nodes, digest [0-9a-f]{32}\) is not the snapshot \(3 nodes, digest [0-9a-f]{32}\); read again, it was equal$/,
    );
    tree.close();
  });
});

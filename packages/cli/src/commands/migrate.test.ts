import { expect, test } from 'vitest';
import { differences } from './migrate.js';

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

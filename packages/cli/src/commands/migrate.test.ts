import { Directory, Value } from '@etc/client';
import { expect, test } from 'vitest';
import { differences } from './migrate.js';

test('differences: every kind of mismatch, one line each; none for equal trees', async () => {
  const at = new Date('2030-01-01T00:00:00.000Z');
  const source = new Directory({
    key: '/',
    nodes: [
      new Value({ key: '/same', value: 'v' }),
      new Value({ key: '/value', value: 'v2' }),
      new Value({ key: '/ttl', value: 't', expiration: at }),
      new Directory({ key: '/kind' }),
      new Value({ key: '/gone', value: 'g' }),
      new Directory({ key: '/d', nodes: [new Value({ key: '/d/in', value: '' })] }),
    ],
  });
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
  expect(await differences([source], stored)).toEqual([
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
  expect(await differences([source], same)).toEqual([]);
});

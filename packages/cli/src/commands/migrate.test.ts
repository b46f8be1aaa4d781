import { Directory, Value } from '@etc/client';
import { expect, test } from 'vitest';
import { differences } from './migrate.js';

test('differences: every kind of mismatch, one line each; none for equal trees', () => {
  const at = new Date('2030-01-01T00:00:00.000Z');
  const source = new Directory({
    key: '/',
    nodes: [
      new Value({ key: '/same', value: 'v' }),
      new Value({ key: '/value', value: 'v2' }),
      new Value({ key: '/ttl', value: 't', expiration: at }),
      new Directory({ key: '/kind' }),
      new Value({ key: '/gone', value: 'g' }),
    ],
  });
  const target = new Directory({
    key: '/',
    nodes: [
      new Value({ key: '/same', value: 'v' }),
      new Value({ key: '/value', value: 'v3' }),
      new Value({ key: '/ttl', value: 't' }),
      new Value({ key: '/kind', value: '' }),
      new Directory({ key: '/extra' }),
    ],
  });
  expect(differences([source], [target])).toEqual([
    'differs: /value: value "v2" in v2, "v3" in v3',
    'differs: /ttl: expires 2030-01-01T00:00:00.000Z in v2, no TTL in v3',
    'differs: /kind: a directory in v2, a file in v3',
    'missing in v3: /gone',
    'only in v3: /extra/',
  ]);
  expect(differences([source], [source])).toEqual([]);
});

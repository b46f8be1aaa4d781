import { Created, Directory, encodeAppend, NotDir } from '@etc/client';
import { describe, expect } from 'vitest';
import type { BackendFactory } from '../backend.js';
import { rejection, scenario } from './context.js';
import { expectEtcdError } from './expect-error.js';

/** The name etcd gives an in-order key: its index, zero-padded to 20 digits. */
export function inOrderName(index: number): string {
  return String(index).padStart(20, '0');
}

/** In-order keys (`append`): names, order, directories, errors. */
export function inOrderScenarios(factory: BackendFactory): void {
  describe('in-order keys', () => {
    scenario(
      factory,
      'append names keys after their index and sorted get returns them in order',
      async (t) => {
        const first = await t.client.append(t.key('q'), 'a');
        expect(first).toBeInstanceOf(Created);
        expect(first.action).toBe('create');
        expect(first.key).toBe(`${t.key('q')}/${inOrderName(first.createdIndex as number)}`);
        expect(first.key).toMatch(/\/\d{20}$/);
        expect(first.etcdIndex).toBe(first.createdIndex);
        const second = await t.client.append(t.key('q'), 'b');
        const third = await t.client.append(t.key('q'), 'c');
        t.expectIndexAfter(second.createdIndex, first.etcdIndex);
        t.expectIndexAfter(third.createdIndex, second.etcdIndex);
        const listing = await t.client.get(t.key('q'), { sorted: true });
        expect(listing.nodes?.map((n) => n.key)).toEqual([first.key, second.key, third.key]);
        expect(listing.values).toEqual(['a', 'b', 'c']);
      },
    );

    scenario(factory, 'append with dir, ttl, missing parents, and on a file', async (t) => {
      const dir = await t.client.append(t.key('p/q'), { dir: true });
      expect(dir.node).toBeInstanceOf(Directory);
      expect(dir.key).toBe(`${t.key('p/q')}/${inOrderName(dir.createdIndex as number)}`);
      const inner = await t.client.append(dir.key, 'x', { ttl: 100 });
      expect(inner.ttl).toBe(100);
      expect(inner.key.startsWith(`${dir.key}/`)).toBe(true);
      const raw = await t.backend.raw(encodeAppend({ key: t.key('r'), value: 'v' }));
      expect(raw.status).toBe(201);
      expect(JSON.parse(raw.body).action).toBe('create');
      await t.client.set(t.key('file'), 'f');
      const error = await rejection(t.client.append(t.key('file'), 'x'));
      expectEtcdError(error, NotDir, { errorCode: 104, message: 'Not a directory', cause: t.key('file') });
    });
  });
}

import { Directory, Got, KeyNotFound, RootROnly } from '@etc/client';
import { describe, expect } from 'vitest';
import type { BackendFactory } from '../backend.js';
import { rejection, scenario } from './context.js';
import { expectEtcdError } from './expect-error.js';

/** Names that must survive the wire as one key each. */
export const awkwardNames: readonly string[] = [
  'with space',
  'question?mark',
  'hash#tag',
  'percent%25literal',
  'percent%zz',
  'plus+sign',
  'amp&ersand=eq',
  '日本語',
  'émoji🙂',
];

/** Key spelling: awkward characters, equivalent spellings, the read-only root. */
export function keyScenarios(factory: BackendFactory): void {
  describe('keys', () => {
    scenario(factory, 'keys with awkward characters round-trip and are one key each', async (t) => {
      for (const name of awkwardNames) {
        const set = await t.client.set(t.key(`k/${name}`), `value of ${name} & + % ?`);
        expect(set.key).toBe(t.key(`k/${name}`));
      }
      for (const name of awkwardNames) {
        const got = await t.client.get(t.key(`k/${name}`));
        expect(got.key).toBe(t.key(`k/${name}`));
        expect(got.value).toBe(`value of ${name} & + % ?`);
      }
      const listing = await t.client.get(t.key('k'));
      expect(listing.nodes?.map((n) => n.key).sort()).toEqual(
        awkwardNames.map((n) => t.key(`k/${n}`)).sort(),
      );
      await expect(t.client.get(t.key('k/with'))).rejects.toBeInstanceOf(KeyNotFound);
      await expect(t.client.get(t.key('k/question'))).rejects.toBeInstanceOf(KeyNotFound);
    });

    scenario(factory, "'/a/b', 'a/b' and '/a/b/' name the same key", async (t) => {
      const slashed = t.key('a/b');
      const bare = slashed.slice(1);
      await t.client.set(bare, 'one');
      expect((await t.client.get(slashed)).value).toBe('one');
      expect((await t.client.get(`${slashed}/`)).value).toBe('one');
      const set = await t.client.set(`${slashed}/`, 'two');
      expect(set.key).toBe(slashed);
      expect(set.prevNode).toMatchObject({ value: 'one' });
      expect((await t.client.get(`/${bare.replaceAll('/', '//')}`)).value).toBe('two');
    });

    scenario(factory, 'the root lists and is read-only', async (t) => {
      await t.client.set(t.key('x'), 'x');
      const root = await t.client.get('/');
      expect(root).toBeInstanceOf(Got);
      expect(root.node).toBeInstanceOf(Directory);
      expect(root.key).toBe('/');
      expect(root.modifiedIndex).toBeUndefined();
      expect(root.nodes?.some((n) => n.key === '/conformance')).toBe(true);
      const index = await t.currentIndex();
      for (const write of [
        () => t.client.set('/', 'x'),
        () => t.client.set('/', { dir: true }),
        () => t.client.delete('/'),
        () => t.client.delete('/', { recursive: true }),
        () => t.client.update('/', 'x'),
      ]) {
        const error = await rejection(write());
        const err = expectEtcdError(error, RootROnly, {
          errorCode: 107,
          message: 'Root is read only',
          cause: '/',
        });
        t.expectIndexAtLeast(err.index, index);
      }
    });
  });
}

import { Directory, encodeGet, KeyNotFound, Value } from '@etc/client';
import { describe, expect } from 'vitest';
import type { BackendFactory } from '../backend.js';
import { scenario } from './context.js';

/** Recursive, sorted and hidden-key listings. */
export function listingScenarios(factory: BackendFactory): void {
  describe('listings', () => {
    scenario(factory, 'a plain get lists direct children; recursive lists all levels', async (t) => {
      await t.client.set(t.key('top/a'), '1');
      await t.client.set(t.key('top/sub/b'), '2');
      await t.client.set(t.key('top/sub/deeper/c'), '3');
      await t.client.set(t.key('top/empty'), { dir: true });
      const plain = await t.client.get(t.key('top'), { sorted: true });
      expect(plain.nodes?.map((n) => n.key)).toEqual([t.key('top/a'), t.key('top/empty'), t.key('top/sub')]);
      const sub = plain.nodes?.[2];
      expect(sub).toBeInstanceOf(Directory);
      expect((sub as Directory).nodes).toEqual([]);
      const rawPlain = JSON.parse((await t.backend.raw(encodeGet({ key: t.key('top'), sorted: true }))).body);
      expect(rawPlain.node.nodes[2]).not.toHaveProperty('nodes');
      expect(rawPlain.node.nodes[1]).not.toHaveProperty('nodes');
      const recursive = await t.client.get(t.key('top'), { recursive: true, sorted: true });
      const tree = (recursive.nodes?.[2] as Directory | undefined)?.nodes ?? [];
      expect(tree.map((n) => n.key)).toEqual([t.key('top/sub/b'), t.key('top/sub/deeper')]);
      const deeper = tree[1] as Directory;
      expect(deeper.nodes).toHaveLength(1);
      expect(deeper.nodes[0]).toBeInstanceOf(Value);
      expect((deeper.nodes[0] as Value).value).toBe('3');
      const unsorted = await t.client.get(t.key('top'), { recursive: true });
      expect(unsorted.nodes?.map((n) => n.key).sort()).toEqual(recursive.nodes?.map((n) => n.key));
    });

    scenario(factory, 'sorted compares whole keys byte by byte', async (t) => {
      const names = ['a', '10', 'é', 'B', '9'];
      for (const name of names) await t.client.set(t.key(`s/${name}`), name);
      const sorted = await t.client.get(t.key('s'), { sorted: true });
      expect(sorted.values).toEqual(['10', '9', 'B', 'a', 'é']);
    });

    scenario(factory, 'hidden keys are left out of listings and readable directly', async (t) => {
      await t.client.set(t.key('h/visible'), 'v');
      await t.client.set(t.key('h/_hidden'), 'secret');
      await t.client.set(t.key('h/_hdir/inner'), 'i');
      await t.client.set(t.key('h/dir/_deep'), 'd');
      const plain = await t.client.get(t.key('h'), { sorted: true });
      expect(plain.nodes?.map((n) => n.key)).toEqual([t.key('h/dir'), t.key('h/visible')]);
      const recursive = await t.client.get(t.key('h'), { recursive: true, sorted: true });
      expect(recursive.nodes?.map((n) => n.key)).toEqual([t.key('h/dir'), t.key('h/visible')]);
      expect((recursive.nodes?.[0] as Directory | undefined)?.nodes).toEqual([]);
      expect((await t.client.get(t.key('h/_hidden'))).value).toBe('secret');
      const hiddenDir = await t.client.get(t.key('h/_hdir'));
      expect(hiddenDir.values).toEqual(['i']);
      await expect(t.client.get(t.key('h/_none'))).rejects.toBeInstanceOf(KeyNotFound);
    });

    scenario(
      factory,
      'a recursive wait answered from history includes events under hidden keys',
      async (t) => {
        const start = await t.client.set(t.key('hw/visible'), '0');
        const hidden = await t.client.set(t.key('hw/_secret/x'), 'h');
        await t.client.set(t.key('hw/visible'), '1');
        const event = await t.client.wait(t.key('hw'), {
          recursive: true,
          index: start.index! + 1,
          timeout: 5_000,
        });
        expect(event.key).toBe(t.key('hw/_secret/x'));
        expect(event.index).toBe(hidden.index);
      },
    );
  });
}

import { describe, expect, it } from 'vitest';
import { TreeNode } from './tree.js';
import { TtlKeys } from './ttl-keys.js';

describe('TtlKeys', () => {
  it('always tops the earliest expiration, ties in tracking order, through tracks, moves and removals', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const nodes = Array.from({ length: 40 }, (_, i) => new TreeNode(`/k${i}`, { index: i + 1, dir: false }));
    const keys = new TtlKeys();
    // The reference: tracked nodes with the order they were (re)tracked in.
    const tracked = new Map<TreeNode, number>();
    let order = 0;
    for (let step = 0; step < 3000; step++) {
      const node = nodes[random(nodes.length)] as TreeNode;
      const what = random(4);
      if (what === 0) {
        keys.remove(node);
        tracked.delete(node);
      } else {
        node.expireTime = what === 1 ? undefined : 1000 + random(20) * 100;
        keys.track(node);
        tracked.delete(node);
        if (node.expireTime !== undefined) tracked.set(node, order++);
      }
      let expected: TreeNode | undefined;
      for (const [candidate, at] of tracked) {
        const best = expected === undefined ? undefined : (tracked.get(expected) as number);
        const a = candidate.expireTime as number;
        const b = expected?.expireTime as number;
        if (expected === undefined || a < b || (a === b && at < (best as number))) expected = candidate;
      }
      expect(keys.top(), `step ${step}`).toBe(expected);
      expect(keys.size).toBe(tracked.size);
    }
  });
});

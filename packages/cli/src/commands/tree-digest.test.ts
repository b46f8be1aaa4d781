import { createHash } from 'node:crypto';
import { expect, test } from 'vitest';
import { TreeDigest } from './tree-digest.js';

type N = [key: string, dir: boolean, value: string | undefined, expiresAt: number | undefined];
const digestOf = (nodes: readonly N[]) => {
  const digest = new TreeDigest();
  for (const node of nodes) digest.add(...node);
  return digest;
};
const at = Date.parse('2030-01-01T00:00:00.000Z');
const tree: N[] = [
  ['/a', true, undefined, undefined],
  ['/a/b', false, 'v', undefined],
  ['/a/c', false, '', at],
  ['/d', true, undefined, at],
  ['/q/00000000000000000001', false, 'first', undefined],
];

test('the same nodes in any order: the same digest; none: zero', () => {
  const forward = digestOf(tree);
  const backward = digestOf([...tree].reverse());
  expect(forward.equals(backward)).toBe(true);
  expect(forward.hex).toBe(backward.hex);
  expect(forward.count).toBe(5);
  expect(new TreeDigest().hex).toBe('0'.repeat(32));
  expect(forward.hex).not.toBe('0'.repeat(32));
});

test('any difference in a key, kind, value or expiration changes it; so does a node more or less', () => {
  const base = digestOf(tree);
  const variants: N[][] = [
    tree.map((n, i) => (i === 1 ? ['/a/B', n[1], n[2], n[3]] : n)),
    tree.map((n, i) => (i === 1 ? [n[0], n[1], 'w', n[3]] : n)),
    tree.map((n, i) => (i === 2 ? [n[0], n[1], n[2], at + 1] : n)),
    tree.map((n, i) => (i === 2 ? [n[0], n[1], n[2], undefined] : n)),
    tree.map((n, i) => (i === 0 ? [n[0], false, '', n[3]] : n)),
    tree.slice(1),
    [...tree, ['/e', false, '', undefined]],
    // The same node twice is not the node once.
    [...tree, tree[1] as N],
  ];
  for (const variant of variants) expect(digestOf(variant).equals(base)).toBe(false);
  // Fields cannot run into each other: a key ending in what the value begins with.
  expect(digestOf([['/ab', false, 'c', undefined]]).hex).not.toBe(
    digestOf([['/a', false, 'bc', undefined]]).hex,
  );
  // A directory's value is ignored; a file's missing value is ''.
  expect(digestOf([['/d', true, 'x', undefined]]).hex).toBe(
    digestOf([['/d', true, undefined, undefined]]).hex,
  );
  expect(digestOf([['/f', false, undefined, undefined]]).hex).toBe(
    digestOf([['/f', false, '', undefined]]).hex,
  );
});

test('the sum is taken modulo 2^128 with carries between its words (checked against BigInt)', () => {
  const nodes: N[] = Array.from({ length: 2000 }, (_, i) => [
    `/k${i}`,
    i % 7 === 0,
    `v${i}`,
    i % 5 === 0 ? at + i : undefined,
  ]);
  let sum = 0n;
  for (const [key, dir, value, expiresAt] of nodes) {
    const text = `${key.length}:${key}${dir ? 'd' : 'f'}${expiresAt ?? ''}:${dir ? '' : (value ?? '')}`;
    const hash = createHash('sha256').update(text).digest();
    sum = (sum + BigInt(`0x${hash.subarray(0, 16).toString('hex')}`)) % 2n ** 128n;
  }
  expect(digestOf(nodes).hex).toBe(sum.toString(16).padStart(32, '0'));
});

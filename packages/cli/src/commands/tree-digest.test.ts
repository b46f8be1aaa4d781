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

/**
 * MurmurHash3 x86_128 as its reference (smhasher's C) reads bytes: 16-byte blocks, a tail, the
 * length; h1..h4 as one 128-bit number, h1 most significant. Plain and slow, to check the digest.
 */
function murmur3(bytes: Buffer, seed: number): bigint {
  const C = [0x239b961b, 0xab0e9789, 0x38b34ae5, 0xa1e38b93] as const;
  const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));
  const fmix = (h: number) => {
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return h ^ (h >>> 16);
  };
  const h = [seed | 0, seed | 0, seed | 0, seed | 0];
  const kRot = [15, 16, 17, 18];
  const hRot = [19, 17, 15, 13];
  const add = [0x561ccd1b, 0x0bcaa747, 0x96cd1c35, 0x32ac3b17];
  const k = (lane: number, word: number) =>
    Math.imul(rotl(Math.imul(word, C[lane] as number), kRot[lane] as number), C[(lane + 1) % 4] as number);
  const whole = bytes.length - (bytes.length % 16);
  for (let at = 0; at < whole; at += 16) {
    for (let lane = 0; lane < 4; lane++) {
      h[lane] = (h[lane] as number) ^ k(lane, bytes.readInt32LE(at + lane * 4));
      h[lane] = rotl(h[lane] as number, hRot[lane] as number);
      h[lane] =
        (Math.imul(((h[lane] as number) + (h[(lane + 1) % 4] as number)) | 0, 5) + (add[lane] as number)) | 0;
    }
  }
  const tail = Buffer.alloc(16);
  bytes.copy(tail, 0, whole);
  for (let lane = 0; lane < 4; lane++) {
    if (bytes.length - whole > lane * 4) h[lane] = (h[lane] as number) ^ k(lane, tail.readInt32LE(lane * 4));
  }
  const mixAll = () => {
    h[0] = ((h[0] as number) + (h[1] as number) + (h[2] as number) + (h[3] as number)) | 0;
    for (let lane = 1; lane < 4; lane++) h[lane] = ((h[lane] as number) + (h[0] as number)) | 0;
  };
  for (let lane = 0; lane < 4; lane++) h[lane] = (h[lane] as number) ^ bytes.length;
  mixAll();
  for (let lane = 0; lane < 4; lane++) h[lane] = fmix(h[lane] as number);
  mixAll();
  return h.reduce((sum, word) => (sum << 32n) | BigInt(word >>> 0), 0n);
}

/** The node's encoding as tree-digest.ts documents it, built byte by byte. */
function encoding([key, dir, value, expiresAt]: N): Buffer {
  const text = dir ? '' : (value ?? '');
  const padded = (s: string) => {
    const out = Buffer.alloc(Math.ceil(s.length / 8) * 16);
    out.write(s, 'utf16le');
    return out;
  };
  const last = Buffer.alloc(16);
  const at = expiresAt ?? 0;
  last.writeUInt32LE(key.length, 0);
  last.writeUInt32LE(text.length, 4);
  last.writeUInt32LE((dir ? 1 : 0) | (expiresAt === undefined ? 0 : 2) | (Math.floor(at / 2 ** 32) * 4), 8);
  last.writeUInt32LE(at % 2 ** 32, 12);
  return Buffer.concat([padded(key), padded(text), last]);
}

test('the reference MurmurHash3 x86_128 gives the published values', () => {
  // smhasher's MurmurHash3_x86_128, seed 2538058380: h1..h4, each word's bytes little-endian first.
  const published = (text: string) => {
    const words = murmur3(Buffer.from(text), 2538058380).toString(16).padStart(32, '0');
    return Array.from({ length: 4 }, (_, i) =>
      Buffer.from(words.slice(i * 8, i * 8 + 8), 'hex')
        .reverse()
        .toString('hex'),
    )
      .join('')
      .toUpperCase();
  };
  expect(published('')).toBe('A1D5BEF71C6A575B1C6A575B1C6A575B');
  expect(published('The quick brown fox jumps over the lazy dog')).toBe('5ED5D48A7161B84C9C3AA78E3E79B6CD');
  expect(published('The quick brown fox jumps over the lazy cog')).toBe('0E8829CCF91081107C6F5EBF3433E188');
});

test("the sum of every node's MurmurHash3 modulo 2^128, with carries between its words (checked against BigInt)", () => {
  const nodes: N[] = Array.from({ length: 2000 }, (_, i) => [
    // Keys and values of every length around a block's, some beyond Latin-1 and in surrogate pairs.
    `/k${i}${'x'.repeat(i % 19)}${i % 11 === 0 ? 'é€😀' : ''}`,
    i % 7 === 0,
    `v${i}`.repeat(i % 23),
    i % 5 === 0 ? at + i : i % 13 === 0 ? 0 : undefined,
  ]);
  for (const seed of [0, 1, 0x9747b28c, 0xffffffff]) {
    let sum = 0n;
    for (const node of nodes) sum = (sum + murmur3(encoding(node), seed)) % 2n ** 128n;
    const digest = new TreeDigest(seed);
    for (const node of nodes) digest.add(...node);
    expect(digest.hex).toBe(sum.toString(16).padStart(32, '0'));
  }
});

test('digests compare only under the same seed; by default every digest of a process has its own', () => {
  const one = new TreeDigest(1);
  const two = new TreeDigest(2);
  one.add('/a', false, 'v', undefined);
  two.add('/a', false, 'v', undefined);
  expect(one.equals(two)).toBe(false);
  expect(one.hex).not.toBe(two.hex);
  expect(digestOf(tree).equals(digestOf(tree))).toBe(true);
});

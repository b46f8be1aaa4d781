import { randomBytes } from 'node:crypto';

/** This process's seed: both digests of a run (the snapshot's, the tree read back) take it. */
const processSeed = randomBytes(4).readUInt32LE(0);

/**
 * An order-independent digest of a v2 tree: the sum modulo 2^128 of a 128-bit hash of each node's
 * key, kind, value and expiration (in ms, as the closing verification compares them), and the
 * number of nodes. Two trees with the same nodes have the same digest whatever the order they are
 * read in (the snapshot depth first, the v3 keyspace in key order). Memory: six numbers, whatever
 * the size of the tree.
 *
 * The hash is MurmurHash3 x86_128 (Austin Appleby's, its 32-bit-word variant: plain `Math.imul`
 * arithmetic in JS; 0.4 to 0.8 µs a node here against 1.9 to 2.9 µs for a one-shot SHA-256 through
 * node:crypto, which builds and encodes a string and calls into C++ for each node) over an encoding
 * of the node that no other node shares: the key's UTF-16 code units, two to a 32-bit word
 * (little-endian), padded with zeros to a whole 16-byte block; the value's the same way (none for
 * a directory); then one block of four words: the key's length, the value's length, the kind and
 * whether there is an expiration (bits 0 and 1) with the expiration's high 21 bits above them, and
 * its low 32 bits. The lengths in the last block say where the key ends and the value begins, so
 * the encoding is injective: equal encodings mean equal key, kind, value and expiration (strings as
 * JS holds them, the v3 side decoded from UTF-8 as `etcdV3` decodes it).
 *
 * Why a sum of 128-bit hashes is enough: a tree has each key once, so a node (a key with its kind,
 * value and expiration) is in each tree at most once, and two trees that differ have a node `x` in
 * one that is not in the other. Every other term of the two sums is the hash of a node other than
 * `x`, so the sums are equal only if `x`'s hash equals the difference of hashes of other inputs:
 * for a hash that behaves as a random function of distinct inputs (what MurmurHash3 is built and
 * tested for, on inputs not crafted against it), one chance in 2^128, whatever the size of the
 * trees. The seed is random per process (both digests of one run share it), so no tree collides
 * every time. It is no defence against keys crafted to collide: whoever can write the v3 keyspace
 * can change it after the check anyway.
 */
export class TreeDigest {
  /** The sum, as four 32-bit words, most significant first. */
  readonly #sum = [0, 0, 0, 0];
  #count = 0;
  readonly #seed: number;

  /** `seed`: the hash's (a 32-bit integer); only digests of the same seed compare. */
  constructor(seed: number = processSeed) {
    this.#seed = seed >>> 0;
  }

  /** Adds a node: `value` is ignored for a directory (a file's missing value is ''). */
  add(key: string, dir: boolean, value: string | undefined, expiresAt: number | undefined): void {
    const text = dir ? '' : (value ?? '');
    const C1 = 0x239b961b;
    const C2 = 0xab0e9789;
    const C3 = 0x38b34ae5;
    const C4 = 0xa1e38b93;
    let h1 = this.#seed | 0;
    let h2 = h1;
    let h3 = h1;
    let h4 = h1;
    let k1 = 0;
    let k2 = 0;
    let k3 = 0;
    let k4 = 0;
    let bytes = 0;
    for (let part = 0; part < 3; part++) {
      const s = part === 0 ? key : part === 1 ? text : '';
      const n = s.length;
      // The key's blocks, the value's (the last of each padded with zeros), then the closing one.
      const blocks = part === 2 ? 1 : (n + 7) >>> 3;
      for (let block = 0, i = 0; block < blocks; block++, i += 8) {
        if (part === 2) {
          const at = expiresAt ?? 0;
          k1 = key.length;
          k2 = text.length;
          k3 = (dir ? 1 : 0) | (expiresAt === undefined ? 0 : 2) | (Math.floor(at / 0x100000000) << 2);
          k4 = at | 0;
        } else if (i + 8 <= n) {
          k1 = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16);
          k2 = s.charCodeAt(i + 2) | (s.charCodeAt(i + 3) << 16);
          k3 = s.charCodeAt(i + 4) | (s.charCodeAt(i + 5) << 16);
          k4 = s.charCodeAt(i + 6) | (s.charCodeAt(i + 7) << 16);
        } else {
          k1 = unitAt(s, i) | (unitAt(s, i + 1) << 16);
          k2 = unitAt(s, i + 2) | (unitAt(s, i + 3) << 16);
          k3 = unitAt(s, i + 4) | (unitAt(s, i + 5) << 16);
          k4 = unitAt(s, i + 6) | (unitAt(s, i + 7) << 16);
        }
        bytes += 16;
        k1 = Math.imul(k1, C1);
        k1 = (k1 << 15) | (k1 >>> 17);
        h1 ^= Math.imul(k1, C2);
        h1 = (h1 << 19) | (h1 >>> 13);
        h1 = (Math.imul(h1 + h2, 5) + 0x561ccd1b) | 0;
        k2 = Math.imul(k2, C2);
        k2 = (k2 << 16) | (k2 >>> 16);
        h2 ^= Math.imul(k2, C3);
        h2 = (h2 << 17) | (h2 >>> 15);
        h2 = (Math.imul(h2 + h3, 5) + 0x0bcaa747) | 0;
        k3 = Math.imul(k3, C3);
        k3 = (k3 << 17) | (k3 >>> 15);
        h3 ^= Math.imul(k3, C4);
        h3 = (h3 << 15) | (h3 >>> 17);
        h3 = (Math.imul(h3 + h4, 5) + 0x96cd1c35) | 0;
        k4 = Math.imul(k4, C4);
        k4 = (k4 << 18) | (k4 >>> 14);
        h4 ^= Math.imul(k4, C1);
        h4 = (h4 << 13) | (h4 >>> 19);
        h4 = (Math.imul(h4 + h1, 5) + 0x32ac3b17) | 0;
      }
    }
    h1 ^= bytes;
    h2 ^= bytes;
    h3 ^= bytes;
    h4 ^= bytes;
    h1 = (h1 + h2 + h3 + h4) | 0;
    h2 = (h2 + h1) | 0;
    h3 = (h3 + h1) | 0;
    h4 = (h4 + h1) | 0;
    h1 = fmix(h1);
    h2 = fmix(h2);
    h3 = fmix(h3);
    h4 = fmix(h4);
    h1 = (h1 + h2 + h3 + h4) | 0;
    h2 = (h2 + h1) | 0;
    h3 = (h3 + h1) | 0;
    h4 = (h4 + h1) | 0;
    // The sum takes h1..h4 as one 128-bit number, h1 most significant.
    const sum = this.#sum;
    let total = (sum[3] as number) + (h4 >>> 0);
    sum[3] = total >>> 0;
    total = (sum[2] as number) + (h3 >>> 0) + (total > 0xffffffff ? 1 : 0);
    sum[2] = total >>> 0;
    total = (sum[1] as number) + (h2 >>> 0) + (total > 0xffffffff ? 1 : 0);
    sum[1] = total >>> 0;
    sum[0] = ((sum[0] as number) + (h1 >>> 0) + (total > 0xffffffff ? 1 : 0)) >>> 0;
    this.#count++;
  }

  /** Nodes added. */
  get count(): number {
    return this.#count;
  }

  /** The sum in hexadecimal (32 digits). */
  get hex(): string {
    return this.#sum.map((word) => word.toString(16).padStart(8, '0')).join('');
  }

  /** Whether both saw the same nodes (same seed, same sum, same count). */
  equals(other: TreeDigest): boolean {
    return this.#seed === other.#seed && this.#count === other.#count && this.hex === other.hex;
  }
}

/** The code unit at `at`, 0 past the end (the padding). */
function unitAt(s: string, at: number): number {
  return at < s.length ? s.charCodeAt(at) : 0;
}

/** MurmurHash3's finalisation of one 32-bit word. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TreeDigest } from './tree-digest.js';

/** A v2 node as the snapshot hands it out: what `importV2Tree()` and the comparison read. */
export interface SnapshotNode {
  readonly key: string;
  readonly dir: boolean;
  /** A file's value; `undefined` for a directory. */
  readonly value: string | undefined;
  readonly expiration: Date | undefined;
}

/** Bytes of records kept before they are written to the file, and read from it at once. */
const CHUNK = 1 << 20;
/** A record's header: its key's and value's lengths in bytes (u32), its kind (u8), its expiration (f64). */
const HEADER = 17;
const DIR = 1;
const EXPIRES = 2;

/**
 * The v2 tree of a snapshot, spooled to a file as it is read: one record per node (its key's and
 * value's lengths, kind and expiration, then the key and the value in UTF-8), in the order added
 * (depth first, parents before their children), so that memory is a buffer of 1 MiB whatever the
 * size of the tree. The file is made in a private directory of the system's temporary one (mode
 * 0600) and unlinked at once where the system allows it (it lives on while open, and goes with the
 * process), else by `close()`. Counts are kept as nodes are added. Iterating it reads the file
 * again (synchronously, a chunk at a time), so it can be walked again and again.
 */
export class SnapshotTree implements Iterable<SnapshotNode> {
  readonly #dir: string;
  readonly #fd: number;
  #removed = false;
  #buffer = Buffer.allocUnsafe(CHUNK);
  #used = 0;
  #written = 0;
  #size = 0;
  #files = 0;
  #ttls = 0;
  #closed = false;
  #ended = false;
  #failure: { error: unknown } | undefined;
  /** `growing()` readers waiting for the next chunk. */
  #waiting: Array<() => void> = [];

  constructor() {
    this.#dir = mkdtempSync(join(tmpdir(), 'etcctl-migrate-'));
    const file = join(this.#dir, 'snapshot.bin');
    this.#fd = openSync(file, 'w+', 0o600);
    try {
      rmSync(this.#dir, { recursive: true, force: true });
      this.#removed = true;
    } catch {
      // Not while open on this system: removed by close().
    }
  }

  /** Adds a node (after its parent). */
  add(key: string, dir: boolean, value: string | undefined, expiration: number | undefined): void {
    if (this.#closed) throw new Error('the snapshot is closed');
    const text = dir ? '' : (value ?? '');
    // At most 3 bytes of UTF-8 per UTF-16 unit.
    const most = HEADER + 3 * (key.length + text.length);
    if (this.#used + most > this.#buffer.length) {
      this.#flush();
      if (most > this.#buffer.length) this.#buffer = Buffer.allocUnsafe(most);
    }
    const buffer = this.#buffer;
    const at = this.#used;
    const keyBytes = buffer.write(key, at + HEADER, 'utf8');
    const valueBytes = text === '' ? 0 : buffer.write(text, at + HEADER + keyBytes, 'utf8');
    buffer.writeUInt32LE(keyBytes, at);
    buffer.writeUInt32LE(valueBytes, at + 4);
    buffer.writeUInt8((dir ? DIR : 0) | (expiration === undefined ? 0 : EXPIRES), at + 8);
    buffer.writeDoubleLE(expiration ?? 0, at + 9);
    this.#used = at + HEADER + keyBytes + valueBytes;
    this.#size++;
    if (!dir) this.#files++;
    if (expiration !== undefined) this.#ttls++;
  }

  #flush(): void {
    for (let at = 0; at < this.#used; ) {
      at += writeSync(this.#fd, this.#buffer, at, this.#used - at, this.#written + at);
    }
    this.#written += this.#used;
    this.#used = 0;
    if (this.#waiting.length > 0) this.#wake();
    if (this.#buffer.length > CHUNK) this.#buffer = Buffer.allocUnsafe(CHUNK);
  }

  /** The nodes of the file, in order, decoded a chunk of the file at a time. */
  *#chunks(): Generator<SnapshotNode[]> {
    if (this.#closed) throw new Error('the snapshot is closed');
    this.#flush();
    const reader = new ChunkReader(this.#fd);
    for (;;) {
      const nodes = reader.next(this.#written);
      if (nodes === undefined) return;
      yield nodes;
    }
  }

  /**
   * The nodes in order while the tree is still being added to (the snapshot read as the answer
   * arrives): each chunk written to the file so far, then waits for the next one, until `end()`
   * (then the rest) or `fail()` (then it throws that error). For a reader that keeps up with the
   * file, not behind it: it reads what was written, so memory stays a chunk whatever the tree.
   */
  async *growing(): AsyncGenerator<SnapshotNode[], void, undefined> {
    const reader = new ChunkReader(this.#fd);
    for (;;) {
      if (this.#closed) throw new Error('the snapshot is closed');
      if (this.#failure !== undefined) throw this.#failure.error;
      if (this.#ended) this.#flush();
      const nodes = reader.next(this.#written);
      if (nodes !== undefined) {
        yield nodes;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => {
        this.#waiting.push(resolve);
      });
    }
  }

  /** All the nodes are added (the answer was read to its end): `growing()` readers get the rest. */
  end(): void {
    this.#ended = true;
    this.#wake();
  }

  /** The snapshot cannot be completed: `growing()` readers throw `error`. */
  fail(error: unknown): void {
    this.#failure ??= { error };
    this.#wake();
  }

  /** Whether `end()` was called. */
  get ended(): boolean {
    return this.#ended;
  }

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const resolve of waiting) resolve();
  }

  /** Nodes in the tree, the root `/` left out. */
  get size(): number {
    return this.#size;
  }

  get files(): number {
    return this.#files;
  }

  get dirs(): number {
    return this.#size - this.#files;
  }

  /** The nodes with a TTL: their keys and when they expire (ms). */
  *expiring(): Generator<[string, number]> {
    for (const nodes of this.#chunks()) {
      for (const node of nodes)
        if (node.expiration !== undefined) yield [node.key, node.expiration.getTime()];
    }
  }

  /** The digest of the nodes (a walk of the file). */
  digest(): TreeDigest {
    const digest = new TreeDigest();
    for (const node of this) digest.add(node.key, node.dir, node.value, node.expiration?.getTime());
    return digest;
  }

  /** How many nodes have a TTL. */
  get ttls(): number {
    return this.#ttls;
  }

  *[Symbol.iterator](): Iterator<SnapshotNode> {
    for (const nodes of this.#chunks()) yield* nodes;
  }

  /** Closes the file (and removes it, if it is still there). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#used = 0;
    closeSync(this.#fd);
    this.#wake();
    if (!this.#removed) rmSync(this.#dir, { recursive: true, force: true });
  }
}

/**
 * Reads the spool file's records a chunk at a time from its start, each call from where the last
 * one stopped, up to a given length of the file (what has been written so far).
 */
class ChunkReader {
  #buffer = Buffer.allocUnsafe(CHUNK);
  /** Bytes of a record cut by the end of the last read, kept at the buffer's start. */
  #kept = 0;
  #position = 0;

  constructor(readonly fd: number) {}

  /** The records from where the last call stopped up to byte `written`; `undefined` when none is left. */
  next(written: number): SnapshotNode[] | undefined {
    if (this.#position >= written) return undefined;
    let buffer = this.#buffer;
    const got = readSync(
      this.fd,
      buffer,
      this.#kept,
      Math.min(buffer.length - this.#kept, written - this.#position),
      this.#position,
    );
    if (got === 0) throw new Error('the snapshot file ended early');
    this.#position += got;
    const end = this.#kept + got;
    const nodes: SnapshotNode[] = [];
    let at = 0;
    for (;;) {
      if (end - at < HEADER) break;
      const keyBytes = buffer.readUInt32LE(at);
      const valueBytes = buffer.readUInt32LE(at + 4);
      if (end - at < HEADER + keyBytes + valueBytes) break;
      const kind = buffer.readUInt8(at + 8);
      const start = at + HEADER;
      const dir = (kind & DIR) !== 0;
      nodes.push({
        key: buffer.toString('utf8', start, start + keyBytes),
        dir,
        value: dir ? undefined : buffer.toString('utf8', start + keyBytes, start + keyBytes + valueBytes),
        expiration: (kind & EXPIRES) === 0 ? undefined : new Date(buffer.readDoubleLE(at + 9)),
      });
      at = start + keyBytes + valueBytes;
    }
    this.#kept = end - at;
    if (this.#kept > 0 && this.#kept >= HEADER) {
      // A record longer than what is left of the buffer: a buffer it fits in.
      const length = HEADER + buffer.readUInt32LE(at) + buffer.readUInt32LE(at + 4);
      if (length > buffer.length) {
        const larger = Buffer.allocUnsafe(length);
        buffer.copy(larger, 0, at, end);
        buffer = larger;
        this.#buffer = larger;
      } else buffer.copy(buffer, 0, at, end);
    } else buffer.copy(buffer, 0, at, end);
    return nodes;
  }
}

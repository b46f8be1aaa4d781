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

/** Bytes of lines kept before they are written to the file, and read from it at once. */
const CHUNK = 1 << 20;

/**
 * The v2 tree of a snapshot, spooled to a file as it is read: one line of JSON per node
 * (`[key, dir, value, expiration ms]`), in the order added (depth first, parents before their
 * children), so that memory is a buffer of 1 MiB whatever the size of the tree. The file is made
 * in a private directory of the system's temporary one (mode 0600) and unlinked at once where the
 * system allows it (it lives on while open, and goes with the process), else by `close()`.
 * Counts and a `TreeDigest` of the nodes are kept as they are added. Iterating it reads the file
 * again (synchronously, a chunk at a time), so it can be walked again and again.
 */
export class SnapshotTree implements Iterable<SnapshotNode> {
  readonly #dir: string;
  readonly #fd: number;
  #removed = false;
  #pending: string[] = [];
  #pendingBytes = 0;
  #written = 0;
  #size = 0;
  #files = 0;
  #ttls = 0;
  #closed = false;
  /** The digest of the nodes added. */
  readonly digest = new TreeDigest();

  constructor() {
    this.#dir = mkdtempSync(join(tmpdir(), 'etcctl-migrate-'));
    const file = join(this.#dir, 'snapshot.jsonl');
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
    const line = JSON.stringify([key, dir ? 1 : 0, dir ? '' : (value ?? ''), expiration ?? null]);
    this.#pending.push(line);
    this.#pendingBytes += line.length + 1;
    if (this.#pendingBytes >= CHUNK) this.#flush();
    this.#size++;
    if (!dir) this.#files++;
    if (expiration !== undefined) this.#ttls++;
    this.digest.add(key, dir, value, expiration);
  }

  #flush(): void {
    if (this.#pending.length === 0) return;
    const bytes = Buffer.from(`${this.#pending.join('\n')}\n`);
    for (let at = 0; at < bytes.length; ) {
      at += writeSync(this.#fd, bytes, at, bytes.length - at, this.#written + at);
    }
    this.#written += bytes.length;
    this.#pending = [];
    this.#pendingBytes = 0;
  }

  /** The lines of the file, in order. */
  *#lines(): Generator<string> {
    if (this.#closed) throw new Error('the snapshot is closed');
    this.#flush();
    let buffer = Buffer.allocUnsafe(CHUNK);
    let kept = 0;
    for (let position = 0; position < this.#written; ) {
      if (kept === buffer.length) {
        // A line longer than the buffer: a larger one.
        const larger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(larger, 0, 0, kept);
        buffer = larger;
      }
      const got = readSync(
        this.#fd,
        buffer,
        kept,
        Math.min(buffer.length - kept, this.#written - position),
        position,
      );
      if (got === 0) throw new Error('the snapshot file ended early');
      position += got;
      const end = kept + got;
      const cut = buffer.lastIndexOf(0x0a, end - 1);
      if (cut < 0) {
        kept = end;
        continue;
      }
      // A newline byte never occurs inside a UTF-8 sequence, nor inside JSON (escaped there).
      yield* buffer.toString('utf8', 0, cut).split('\n');
      buffer.copy(buffer, 0, cut + 1, end);
      kept = end - cut - 1;
    }
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
    for (const line of this.#lines()) {
      const [key, , , expiresAt] = JSON.parse(line) as [string, number, string, number | null];
      if (expiresAt !== null) yield [key, expiresAt];
    }
  }

  /** How many nodes have a TTL. */
  get ttls(): number {
    return this.#ttls;
  }

  *[Symbol.iterator](): Iterator<SnapshotNode> {
    for (const line of this.#lines()) {
      const [key, dir, value, expiresAt] = JSON.parse(line) as [string, number, string, number | null];
      yield {
        key,
        dir: dir === 1,
        value: dir === 1 ? undefined : value,
        expiration: expiresAt === null ? undefined : new Date(expiresAt),
      };
    }
  }

  /** Closes the file (and removes it, if it is still there). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending = [];
    closeSync(this.#fd);
    if (!this.#removed) rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** A v2 node as the snapshot hands it out: what `importV2Tree()` and the comparison read. */
export interface SnapshotNode {
  readonly key: string;
  readonly dir: boolean;
  /** A file's value; `undefined` for a directory. */
  readonly value: string | undefined;
  readonly expiration: Date | undefined;
}

/**
 * The v2 tree of a snapshot, kept compactly: a key, a value and a kind per node in columns (no
 * object per node, no parsed JSON, no `Node` instances), expirations only for the nodes that have
 * one. Nodes keep the order they were added in (depth first, parents before their children).
 * Iterating it makes each node's object on the fly, so it can be walked again and again.
 */
export class SnapshotTree implements Iterable<SnapshotNode> {
  readonly #keys: string[] = [];
  readonly #values: string[] = [];
  /** 1 for a directory, 0 for a file. */
  readonly #dirs: number[] = [];
  readonly #expirations = new Map<number, number>();
  #files = 0;

  /** Adds a node (after its parent). */
  add(key: string, dir: boolean, value: string | undefined, expiration: number | undefined): void {
    const at = this.#keys.length;
    this.#keys.push(key);
    this.#values.push(dir ? '' : (value ?? ''));
    this.#dirs.push(dir ? 1 : 0);
    if (!dir) this.#files++;
    if (expiration !== undefined) this.#expirations.set(at, expiration);
  }

  /** Nodes in the tree, the root `/` left out. */
  get size(): number {
    return this.#keys.length;
  }

  get files(): number {
    return this.#files;
  }

  get dirs(): number {
    return this.#keys.length - this.#files;
  }

  /** The nodes with a TTL: their keys and when they expire (ms). */
  *expiring(): Generator<[string, number]> {
    for (const [at, expiresAt] of this.#expirations) yield [this.#keys[at] as string, expiresAt];
  }

  /** How many nodes have a TTL. */
  get ttls(): number {
    return this.#expirations.size;
  }

  *[Symbol.iterator](): Iterator<SnapshotNode> {
    const keys = this.#keys;
    for (let at = 0; at < keys.length; at++) {
      const dir = this.#dirs[at] === 1;
      const expiresAt = this.#expirations.get(at);
      yield {
        key: keys[at] as string,
        dir,
        value: dir ? undefined : this.#values[at],
        expiration: expiresAt === undefined ? undefined : new Date(expiresAt),
      };
    }
  }
}

/**
 * A node of the etcd key space. Fields etcd left out stay absent (`'ttl' in node` is false for a
 * node without a TTL).
 */
export class Node {
  /** The full key, e.g. `/a/b`; the root is `/`. */
  readonly key: string;
  declare readonly modifiedIndex?: number;
  declare readonly createdIndex?: number;
  /**
   * Seconds left to live, rounded up, as etcd computed it when answering. Negative when etcd's
   * expiry of the key is overdue: etcd removes expired keys in a sweep (every 500 ms on the leader),
   * and a paused or overloaded member answers with the key still there and `ttl` -1 or lower.
   */
  declare readonly ttl?: number;
  /** When the node expires. */
  declare readonly expiration?: Date;

  constructor(fields: NodeFields) {
    this.key = fields.key;
    // Plain assignments only for fields etcd sent, so absent ones stay absent (`'ttl' in node`).
    const self = this as { -readonly [K in keyof NodeFields]?: NodeFields[K] };
    if (fields.modifiedIndex !== undefined) self.modifiedIndex = fields.modifiedIndex;
    if (fields.createdIndex !== undefined) self.createdIndex = fields.createdIndex;
    if (fields.ttl !== undefined) self.ttl = fields.ttl;
    if (fields.expiration !== undefined) self.expiration = fields.expiration;
  }

  /** The node's `modifiedIndex`. */
  get index(): number | undefined {
    return this.modifiedIndex;
  }

  /** The node's `expiration`. */
  get expiresAt(): Date | undefined {
    return this.expiration;
  }

  /** True for a `Directory`. */
  get dir(): boolean {
    return false;
  }
}

/** The fields every node may carry. */
export interface NodeFields {
  key: string;
  modifiedIndex?: number | undefined;
  createdIndex?: number | undefined;
  ttl?: number | undefined;
  expiration?: Date | undefined;
}

/** A file: a node with a value. */
export class Value extends Node {
  readonly value: string;

  constructor(fields: NodeFields & { value: string }) {
    super(fields);
    this.value = fields.value;
  }
}

/** A directory; `nodes` holds its children as etcd listed them (all levels for a recursive get). */
export class Directory extends Node {
  readonly nodes: Node[];

  constructor(fields: NodeFields & { nodes?: Node[] | undefined }) {
    super(fields);
    this.nodes = fields.nodes ?? [];
  }

  /** The values of the direct children that are files, in listing order. */
  get values(): string[] {
    const values: string[] = [];
    for (const node of this.nodes) if (node instanceof Value) values.push(node.value);
    return values;
  }

  override get dir(): boolean {
    return true;
  }
}

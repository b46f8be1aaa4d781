/** The node tree of the mock store: files and directories, as etcd's v2store `node`. */
import type { WireNode } from '@etc/protocol';
import { compareBytes } from '@etc/protocol/internal';
import { formatExpiration } from './wire-json.js';

/** A file or directory. The root is `/`; paths are normalised keys. */
export class TreeNode {
  parent: TreeNode | undefined;
  createdIndex: number;
  modifiedIndex: number;
  /** Milliseconds since the epoch when the node expires; `undefined` for a permanent node. */
  expireTime: number | undefined;
  value: string;
  /** The children of a directory by name; `undefined` for a file. */
  readonly children: Map<string, TreeNode> | undefined;

  constructor(
    readonly path: string,
    options: {
      index: number;
      parent?: TreeNode;
      expireTime?: number | undefined;
      value?: string;
      dir: boolean;
    },
  ) {
    this.parent = options.parent;
    this.createdIndex = options.index;
    this.modifiedIndex = options.index;
    this.expireTime = options.expireTime;
    this.value = options.value ?? '';
    this.children = options.dir ? new Map() : undefined;
  }

  get isDir(): boolean {
    return this.children !== undefined;
  }

  /** The node's own name (last path segment); empty for the root. */
  get name(): string {
    return this.path.slice(this.path.lastIndexOf('/') + 1);
  }

  /** True when the name starts with `_`: left out of listings. */
  get isHidden(): boolean {
    return this.name.startsWith('_');
  }

  /** The children in the order etcd lists them: byte order when sorted, otherwise random (Go map order). */
  listed(sorted: boolean): TreeNode[] {
    const list = [...(this.children?.values() ?? [])].filter((child) => !child.isHidden);
    if (sorted) return list.sort((a, b) => compareBytes(a.path, b.path));
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [list[i], list[j]] = [list[j] as TreeNode, list[i] as TreeNode];
    }
    return list;
  }

  /** etcd's `Repr`: the node without children unless recursive (hidden children are left out). */
  repr(recursive: boolean, sorted: boolean, now: number): WireNode {
    const nodes = this.children && recursive ? this.#reprChildren(true, sorted, now) : undefined;
    return this.#wire(nodes, now);
  }

  /** The node of a GET: a directory lists its children (recursively when asked). */
  load(recursive: boolean, sorted: boolean, now: number): WireNode {
    const nodes = this.children ? this.#reprChildren(recursive, sorted, now) : undefined;
    return this.#wire(nodes, now);
  }

  /** This node on the wire, with `nodes` as its children. */
  #wire(nodes: WireNode[] | undefined, now: number): WireNode {
    return wireNode(
      this.path,
      this.isDir,
      this.value,
      this.expireTime,
      now,
      this.modifiedIndex,
      this.createdIndex,
      nodes,
    );
  }

  #reprChildren(recursive: boolean, sorted: boolean, now: number): WireNode[] | undefined {
    if (this.children === undefined || this.children.size === 0) return undefined;
    const listed = this.listed(sorted);
    const nodes: WireNode[] = new Array(listed.length);
    for (let i = 0; i < listed.length; i++) nodes[i] = (listed[i] as TreeNode).repr(recursive, sorted, now);
    return nodes;
  }

  /** Every node of this subtree, children first and this node last (the order etcd removes them). */
  *postOrder(): Generator<TreeNode> {
    if (this.children) for (const child of [...this.children.values()]) yield* child.postOrder();
    yield this;
  }
}

/** etcd's ttl of a node expiring at `expireTime`, seen at `now`: seconds rounded up, toward zero when overdue. */
export function ttlAt(expireTime: number, now: number): number {
  const left = expireTime - now;
  return left > 0 ? Math.ceil(left / 1000) : Math.trunc(left / 1000);
}

/**
 * A node's wire form exactly as etcd's JSON has it once parsed: `key` except for the root, `value`
 * for a file, `dir` only when true, `expiration` and a non-zero `ttl` for a node with a TTL,
 * `nodes` only when there are some, indexes only when non-zero (Go's `omitempty`).
 */
export function wireNode(
  path: string,
  isDir: boolean,
  value: string,
  expireTime: number | undefined,
  now: number,
  modifiedIndex: number,
  createdIndex: number,
  nodes?: WireNode[] | undefined,
): WireNode {
  const wire: WireNode = {};
  if (path !== '/') wire.key = path;
  if (isDir) wire.dir = true;
  else wire.value = value;
  if (expireTime !== undefined) {
    wire.expiration = formatExpiration(expireTime);
    const ttl = ttlAt(expireTime, now);
    if (ttl !== 0) wire.ttl = ttl;
  }
  if (nodes !== undefined && nodes.length > 0) wire.nodes = nodes;
  if (modifiedIndex !== 0) wire.modifiedIndex = modifiedIndex;
  if (createdIndex !== 0) wire.createdIndex = createdIndex;
  return wire;
}

/** The key as it goes on the wire: etcd trims its `/1` prefix, so the root has no key. */
export function wireKey(path: string): string | undefined {
  return path === '/' ? undefined : path;
}

/** Splits a normalised key into its parent path and name: `/a/b` → [`/a`, `b`]. */
export function splitPath(path: string): [string, string] {
  const at = path.lastIndexOf('/');
  return [at === 0 ? '/' : path.slice(0, at), path.slice(at + 1)];
}

/** `parent` joined with `name` as a normalised key. */
export function joinPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

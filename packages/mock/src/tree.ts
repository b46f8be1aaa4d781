/** The node tree of the mock store: files and directories, as etcd's v2store `node`. */
import type { WireNode } from '@etc/protocol';
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

  /** `expiration` and `ttl` as etcd computes them at `now` (ttl rounded up; 0 means omitted). */
  expirationAndTtl(now: number): { expiration?: string; ttl?: number } {
    if (this.expireTime === undefined) return {};
    const left = this.expireTime - now;
    const ttl = left > 0 ? Math.ceil(left / 1000) : Math.trunc(left / 1000);
    const out: { expiration?: string; ttl?: number } = { expiration: formatExpiration(this.expireTime) };
    if (ttl !== 0) out.ttl = ttl;
    return out;
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
    const wire: WireNode = { key: wireKey(this.path) };
    if (this.isDir) wire.dir = true;
    else wire.value = this.value;
    Object.assign(wire, this.expirationAndTtl(now));
    if (this.isDir && recursive) wire.nodes = this.listed(sorted).map((c) => c.repr(true, sorted, now));
    wire.modifiedIndex = this.modifiedIndex;
    wire.createdIndex = this.createdIndex;
    return wire;
  }

  /** The node of a GET: a directory lists its children (recursively when asked). */
  load(recursive: boolean, sorted: boolean, now: number): WireNode {
    const wire: WireNode = { key: wireKey(this.path) };
    if (this.isDir) {
      wire.dir = true;
    } else wire.value = this.value;
    Object.assign(wire, this.expirationAndTtl(now));
    if (this.isDir) wire.nodes = this.listed(sorted).map((c) => c.repr(recursive, sorted, now));
    wire.modifiedIndex = this.modifiedIndex;
    wire.createdIndex = this.createdIndex;
    return wire;
  }

  /** Every node of this subtree, children first and this node last (the order etcd removes them). */
  *postOrder(): Generator<TreeNode> {
    if (this.children) for (const child of [...this.children.values()]) yield* child.postOrder();
    yield this;
  }
}

/** The key as it goes on the wire: etcd trims its `/1` prefix, so the root has no key. */
export function wireKey(path: string): string | undefined {
  return path === '/' ? undefined : path;
}

/** Compares two strings by their UTF-8 bytes (Go string order), which is code point order. */
export function compareBytes(a: string, b: string): number {
  const x = a[Symbol.iterator]();
  const y = b[Symbol.iterator]();
  for (;;) {
    const p = x.next();
    const q = y.next();
    if (p.done || q.done) return p.done ? (q.done ? 0 : -1) : 1;
    const d = (p.value.codePointAt(0) ?? 0) - (q.value.codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
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

/** The segments of a normalised key (none for the root). */
export function segmentsOf(path: string): string[] {
  return path === '/' ? [] : path.slice(1).split('/');
}

/** The nodes that have a TTL, earliest expiration first (etcd's `ttlKeyHeap`). */
import type { TreeNode } from './tree.js';

interface Entry {
  readonly node: TreeNode;
  /** The expiration the node had when it was tracked. */
  readonly expireTime: number;
  /** Tracking order: ties expire in the order the nodes got their TTL. */
  readonly seq: number;
  /** Where the entry is in the heap. */
  at: number;
}

function before(a: Entry, b: Entry): boolean {
  return a.expireTime < b.expireTime || (a.expireTime === b.expireTime && a.seq < b.seq);
}

/**
 * A set of nodes with an expiration, as a binary min-heap: `top()` is O(1), `track` and `remove`
 * O(log n), so a store with many leases stays fast. Ties expire in the order the nodes got their TTL.
 */
export class TtlKeys {
  private heap: Entry[] = [];
  private readonly entries = new Map<TreeNode, Entry>();
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  /** Adds, moves or removes `node` to match its current `expireTime`. */
  track(node: TreeNode): void {
    this.remove(node);
    if (node.expireTime === undefined) return;
    const entry: Entry = { node, expireTime: node.expireTime, seq: this.seq++, at: this.heap.length };
    this.heap.push(entry);
    this.entries.set(node, entry);
    this.up(entry.at);
  }

  remove(node: TreeNode): void {
    if (this.entries.size === 0) return;
    const entry = this.entries.get(node);
    if (entry === undefined) return;
    this.entries.delete(node);
    const last = this.heap.pop() as Entry;
    if (last === entry) return;
    this.heap[entry.at] = last;
    last.at = entry.at;
    this.down(last.at);
    this.up(last.at);
  }

  clear(): void {
    this.heap = [];
    this.entries.clear();
  }

  /** The node that expires first, or `undefined` when no node has a TTL. */
  top(): TreeNode | undefined {
    return this.heap[0]?.node;
  }

  private up(at: number): void {
    const heap = this.heap;
    const entry = heap[at] as Entry;
    while (at > 0) {
      const parentAt = (at - 1) >> 1;
      const parent = heap[parentAt] as Entry;
      if (!before(entry, parent)) break;
      heap[at] = parent;
      parent.at = at;
      at = parentAt;
    }
    heap[at] = entry;
    entry.at = at;
  }

  private down(at: number): void {
    const heap = this.heap;
    const entry = heap[at] as Entry;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= heap.length) break;
      const right = child + 1;
      if (right < heap.length && before(heap[right] as Entry, heap[child] as Entry)) child = right;
      const next = heap[child] as Entry;
      if (!before(next, entry)) break;
      heap[at] = next;
      next.at = at;
      at = child;
    }
    heap[at] = entry;
    entry.at = at;
  }
}

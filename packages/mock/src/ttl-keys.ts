/** The nodes that have a TTL, earliest expiration first (etcd's `ttlKeyHeap`). */
import type { TreeNode } from './tree.js';

/** A set of nodes with an expiration; ties expire in the order the nodes got their TTL. */
export class TtlKeys {
  private readonly nodes = new Set<TreeNode>();

  get size(): number {
    return this.nodes.size;
  }

  /** Adds, moves or removes `node` to match its current `expireTime`. */
  track(node: TreeNode): void {
    this.nodes.delete(node);
    if (node.expireTime !== undefined) this.nodes.add(node);
  }

  remove(node: TreeNode): void {
    this.nodes.delete(node);
  }

  clear(): void {
    this.nodes.clear();
  }

  /** The node that expires first, or `undefined` when no node has a TTL. */
  top(): TreeNode | undefined {
    let best: TreeNode | undefined;
    for (const node of this.nodes) {
      if (!best || (node.expireTime as number) < (best.expireTime as number)) best = node;
    }
    return best;
  }
}

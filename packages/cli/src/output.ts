import { Directory, type EtcdResult, type Node, Value } from '@etc/client';
import { goResponse } from './go-json.js';

/** The `-o` formats of etcdctl v2. */
export const formats = ['simple', 'extended', 'json'] as const;
/** One of the `-o` formats. */
export type Format = (typeof formats)[number];

function nodeValue(node: Node | undefined): string {
  return node instanceof Value ? node.value : '';
}

/** Lines for a keys-API result, as etcdctl v2's `printResponseKey` prints them. */
export function responseLines(result: EtcdResult, format: Format): string[] {
  switch (format) {
    case 'simple':
      return result.action === 'delete'
        ? [`PrevNode.Value: ${nodeValue(result.prevNode)}`]
        : [nodeValue(result.node)];
    case 'extended': {
      const lines = [
        `Key: ${result.node.key === '/' ? '' : result.node.key}`,
        `Created-Index: ${result.node.createdIndex ?? 0}`,
        `Modified-Index: ${result.node.modifiedIndex ?? 0}`,
      ];
      if (result.prevNode !== undefined) lines.push(`PrevNode.Value: ${nodeValue(result.prevNode)}`);
      lines.push(`TTL: ${result.node.ttl ?? 0}`, `Index: ${result.etcdIndex}`);
      if (result.action !== 'delete') lines.push('', nodeValue(result.node));
      return lines;
    }
    case 'json':
      return [goResponse(result)];
  }
}

/** The keys of `ls` in simple format: every node below, depth first; `-p` marks directories with `/`. */
export function lsLines(result: EtcdResult, slash: boolean): string[] {
  const lines: string[] = [];
  if (!(result.node instanceof Directory)) lines.push(result.node.key);
  const walk = (node: Node) => {
    lines.push(node instanceof Directory && slash ? `${node.key}/` : node.key);
    if (node instanceof Directory) for (const child of node.nodes) walk(child);
  };
  if (result.node instanceof Directory) for (const child of result.node.nodes) walk(child);
  return lines;
}

/** Builds the v2 nodes of `@etc/protocol` from stored v3 key-values (see `../layout.ts`). */
import { Directory, Node, Value } from '@etc/protocol';
import { createdIndexOf, decodeValue, expirationOf, modifiedIndexOf } from '../layout.js';
import type { KeyValue } from '../proto/messages.js';

/** `ttl` and `expiration` of a node whose expiration is `expiresAt` (ms), as etcd computes them at `now`. */
export function ttlFields(
  expiresAt: number | undefined,
  now: number,
): { ttl?: number | undefined; expiration?: Date | undefined } {
  if (expiresAt === undefined) return {};
  const left = expiresAt - now;
  const ttl = left > 0 ? Math.ceil(left / 1000) : Math.trunc(left / 1000);
  return { expiration: new Date(expiresAt), ttl: ttl === 0 ? undefined : ttl };
}

/** A stored file as a v2 `Value`. */
export function fileNode(path: string, kv: KeyValue, now: number): Value {
  return new Value({
    key: path,
    value: decodeValue(kv.value).value,
    modifiedIndex: modifiedIndexOf(kv),
    createdIndex: createdIndexOf(kv),
    ...ttlFields(expirationOf(kv), now),
  });
}

/** A stored directory as a v2 `Directory` (children only when given). */
export function dirNode(path: string, kv: KeyValue, now: number, nodes?: Node[]): Directory {
  return new Directory({
    key: path,
    modifiedIndex: modifiedIndexOf(kv),
    createdIndex: createdIndexOf(kv),
    ...ttlFields(expirationOf(kv), now),
    nodes,
  });
}

/** A stored node, file or directory, without children (etcd's `prevNode` form). */
export function storedNode(path: string, dir: boolean, kv: KeyValue, now: number): Node {
  return dir ? dirNode(path, kv, now) : fileNode(path, kv, now);
}

/** The node of a removal (`delete`, `compareAndDelete`, `expire`): key, `dir`, the new index and `createdIndex`. */
export function removedNode(path: string, dir: boolean, kv: KeyValue, index: number): Node {
  const fields = { key: path, modifiedIndex: index, createdIndex: createdIndexOf(kv) };
  return dir ? new Directory(fields) : new Node(fields);
}

import { Directory, type Node, Value } from './nodes.js';

/** The fields every result carries. */
export interface ResultFields {
  action: string;
  node: Node;
  prevNode?: Node | undefined;
  etcdIndex: number;
  raftIndex?: number | undefined;
  raftTerm?: number | undefined;
}

/**
 * The answer to a keys-API call, one subclass per etcd `action`. The node's fields are exposed on
 * the result too (`result.value`, `result.index`, ...).
 */
export class EtcdResult {
  /** etcd's action, e.g. `get`, `set`, `compareAndSwap`, `expire`. */
  readonly action: string;
  readonly node: Node;
  /** The node as it was before a write, when etcd reported it. */
  declare readonly prevNode?: Node;
  /** `X-Etcd-Index`: the store index after the write, the current index for a get, the index at the start of a wait. */
  readonly etcdIndex: number;
  /** `X-Raft-Index`, when the server sent it. */
  declare readonly raftIndex?: number;
  /** `X-Raft-Term`, when the server sent it. */
  declare readonly raftTerm?: number;

  constructor(fields: ResultFields) {
    this.action = fields.action;
    this.node = fields.node;
    this.etcdIndex = fields.etcdIndex;
    // Plain assignments only for what the response carried, so absent fields stay absent.
    const self = this as { prevNode?: Node; raftIndex?: number; raftTerm?: number };
    if (fields.prevNode !== undefined) self.prevNode = fields.prevNode;
    if (fields.raftIndex !== undefined) self.raftIndex = fields.raftIndex;
    if (fields.raftTerm !== undefined) self.raftTerm = fields.raftTerm;
  }

  get key(): string {
    return this.node.key;
  }
  /** The node's value, or `undefined` for a directory or a node without one. */
  get value(): string | undefined {
    return this.node instanceof Value ? this.node.value : undefined;
  }
  /** The directory's children, or `undefined` when the node is not a directory. */
  get nodes(): Node[] | undefined {
    return this.node instanceof Directory ? this.node.nodes : undefined;
  }
  /** The values of the directory's file children, or `undefined` when the node is not a directory. */
  get values(): string[] | undefined {
    return this.node instanceof Directory ? this.node.values : undefined;
  }
  get index(): number | undefined {
    return this.node.modifiedIndex;
  }
  get modifiedIndex(): number | undefined {
    return this.node.modifiedIndex;
  }
  get createdIndex(): number | undefined {
    return this.node.createdIndex;
  }
  /** The node's `ttl`: seconds left, negative when etcd's expiry of the key is overdue. */
  get ttl(): number | undefined {
    return this.node.ttl;
  }
  get expiration(): Date | undefined {
    return this.node.expiration;
  }
  get expiresAt(): Date | undefined {
    return this.node.expiration;
  }
}

/** The answer to a read (`action: 'get'`). */
export class Got extends EtcdResult {}

/** A write that stored a node (`action: 'set'`); the parent of the other storing actions. */
class SetResult extends EtcdResult {}
Object.defineProperty(SetResult, 'name', { value: 'Set' });

/** `action: 'update'` (`prevExist=true`). */
export class Updated extends SetResult {}
/** `action: 'create'` (`prevExist=false`, or an in-order key). */
export class Created extends SetResult {}
/** `action: 'compareAndSwap'`. */
export class ComparedThenSwapped extends SetResult {}

/** `action: 'delete'`; the parent of the other removing actions. */
export class Deleted extends EtcdResult {}
/** `action: 'expire'`: a TTL ran out. */
export class Expired extends Deleted {}
/** `action: 'compareAndDelete'`. */
export class ComparedThenDeleted extends Deleted {}

export { SetResult, SetResult as Set };

const resultClasses: ReadonlyMap<string, new (fields: ResultFields) => EtcdResult> = new Map<
  string,
  new (
    fields: ResultFields,
  ) => EtcdResult
>([
  ['get', Got],
  ['set', SetResult],
  ['update', Updated],
  ['create', Created],
  ['compareAndSwap', ComparedThenSwapped],
  ['delete', Deleted],
  ['expire', Expired],
  ['compareAndDelete', ComparedThenDeleted],
]);

/** Builds the result class of an action; an unknown action becomes a plain `EtcdResult`. */
export function resultFor(fields: ResultFields): EtcdResult {
  const cls = resultClasses.get(fields.action) ?? EtcdResult;
  return new cls(fields);
}

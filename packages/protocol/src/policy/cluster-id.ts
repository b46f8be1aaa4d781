import { ClusterMismatch } from '../errors.js';
import type { Answer } from './call.js';
import type { Layer, Send } from './layer.js';

/**
 * The cluster-id layer: it remembers the cluster id of the first answer that carried one, and
 * refuses an answer with another id with `ClusterMismatch` (a member of another cluster, whose
 * indexes and data must not be mixed with ours; failover moves on from it).
 */
export class ClusterGuard implements Layer {
  readonly name = 'cluster-id';
  #id: string | undefined;
  readonly #check = (answer: Answer): void => {
    const id = answer.clusterId;
    if (id === undefined || id === '') return;
    if (this.#id === undefined) this.#id = id;
    else if (id !== this.#id) throw new ClusterMismatch(this.#id, id, answer.endpoint);
  };

  /** The id of the cluster this client talks to, once an answer has carried one. */
  get clusterId(): string | undefined {
    return this.#id;
  }

  /** Checks the cluster id of every answer that `next` receives. */
  wrap(next: Send): Send {
    return (call) => {
      call.onAnswer(this.#check);
      return next(call);
    };
  }
}

import { ClientClosed, OutcomeUnknown } from '../errors.js';
import type { Call } from './call.js';
import type { Layer, Send } from './layer.js';

/**
 * The close layer: it tracks the calls in flight and, once `close()` is called, cuts them off
 * (a read or wait rejects with `ClientClosed`, a write with `OutcomeUnknown` caused by it, since it
 * may have been applied) and rejects every later call with `ClientClosed`, the same on every adapter.
 */
export class Closing implements Layer {
  readonly name = 'close';
  readonly #endpoint: () => string;
  readonly #calls = new Set<Call>();
  #closed = false;

  /** `endpoint` names the client in the errors (its URL). */
  constructor(endpoint: () => string) {
    this.#endpoint = endpoint;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The number of calls in flight. */
  get pending(): number {
    return this.#calls.size;
  }

  /** The error of a call made after `close()`. */
  closedError(): ClientClosed {
    return new ClientClosed('the client is closed', { endpoint: this.#endpoint() });
  }

  /** Tracks each call through `next` and refuses calls once closed. */
  wrap(next: Send): Send {
    const calls = this.#calls;
    return (call) => {
      if (this.#closed) return Promise.reject(this.closedError());
      calls.add(call);
      let sent: Promise<unknown>;
      try {
        sent = next(call);
      } catch (error) {
        calls.delete(call);
        return Promise.reject(error);
      }
      return sent.then(
        (value) => {
          calls.delete(call);
          return value;
        },
        (error: unknown) => {
          calls.delete(call);
          throw error;
        },
      );
    };
  }

  /** Marks the client closed and cuts off every call in flight. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const call of this.#calls) {
      const endpoint = call.endpoint ?? this.#endpoint();
      const closed = new ClientClosed(`the client was closed while a request to ${endpoint} was pending`, {
        endpoint,
      });
      call.abort(
        call.write
          ? new OutcomeUnknown(`${closed.message}; the ${call.operation} may or may not have been applied`, {
              cause: closed,
              endpoint,
            })
          : closed,
      );
    }
  }
}

/**
 * Test support for the watch tests (not part of the package): an adapter whose waits stay pending
 * until a test answers them.
 */
import { type Adapter, decodeResponse, type EtcdResult, type GetRequest, KeyNotFound } from '@etc/protocol';

export interface PendingWait {
  request: GetRequest;
  resolve: (result: EtcdResult) => void;
  reject: (error: unknown) => void;
}

/** An adapter whose waits stay pending until the test answers them, and whose reads answer a snapshot. */
export class ScriptedAdapter implements Adapter {
  readonly url = 'test://scripted';
  readonly waits: PendingWait[] = [];
  readonly reads: GetRequest[] = [];
  snapshotIndex = 100;
  missing = new Set<string>();
  /** Every wait (long poll) sent, pending or not. */
  readonly polls: GetRequest[] = [];
  /** While set, every wait rejects at once with what it returns (a server that keeps failing). */
  failWaits: (() => unknown) | undefined;

  get(request: GetRequest): Promise<EtcdResult> {
    if (!request.wait) {
      this.reads.push(request);
      if (this.missing.has(request.key)) {
        return Promise.reject(
          new KeyNotFound({ errorCode: 100, cause: request.key, index: this.snapshotIndex }),
        );
      }
      return Promise.resolve(result('get', request.key, 'snap', this.snapshotIndex - 5, this.snapshotIndex));
    }
    this.polls.push(request);
    if (this.failWaits) return Promise.reject(this.failWaits());
    return new Promise((resolve, reject) => {
      const pending = { request, resolve, reject };
      this.waits.push(pending);
      request.signal?.addEventListener('abort', () => {
        this.waits.splice(this.waits.indexOf(pending), 1);
        reject(request.signal?.reason);
      });
    });
  }
  set = () => Promise.reject(new Error('not used'));
  append = () => Promise.reject(new Error('not used'));
  delete = () => Promise.reject(new Error('not used'));
  async close() {}

  /** Answers the oldest pending wait. */
  answer(outcome: EtcdResult | Error): PendingWait {
    const pending = this.waits.shift();
    if (!pending) throw new Error('no pending wait');
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome);
    return pending;
  }
}

/**
 * A decoded result of `action` on `key` (a directory when `value` is undefined). `etcdIndex` is the
 * answer's `X-Etcd-Index`; on a wait, etcd sends the index at which the wait started, so an event
 * at or below it was answered from the history, one above it live.
 */
export function result(
  action: string,
  key: string,
  value: string | undefined,
  index: number,
  etcdIndex = index,
): EtcdResult {
  const node =
    value === undefined
      ? { key, dir: true, modifiedIndex: index, createdIndex: 1 }
      : { key, value, modifiedIndex: index, createdIndex: 1 };
  return decodeResponse({
    status: 200,
    headers: { 'x-etcd-index': String(etcdIndex) },
    body: JSON.stringify({ action, node }),
  });
}

/** Lets pending promise callbacks and I/O callbacks run. */
export const tick = () => new Promise((resolve) => setImmediate(resolve));

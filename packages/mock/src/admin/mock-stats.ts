/** The counters of etcd's `/v2/stats/store` (v2store/stats.go), kept by a mock store. */
import type { StoreStats } from '@etc/protocol';
import type { KeyRequest } from '../params.js';

type Operation = 'gets' | 'sets' | 'delete' | 'update' | 'create' | 'compareAndSwap' | 'compareAndDelete';

/** Which counter a keys request moves, as etcd's store counts it (waits are not counted). */
export function operationOf(request: KeyRequest): Operation | undefined {
  const conditional = request.prevIndex > 0n || request.prevValue !== '';
  switch (request.method) {
    case 'GET':
      return request.wait ? undefined : 'gets';
    case 'POST':
      return 'create';
    case 'DELETE':
      return conditional ? 'compareAndDelete' : 'delete';
    case 'PUT':
      if (request.prevExist === false) return 'create';
      if (conditional) return 'compareAndSwap';
      return request.prevExist === true ? 'update' : 'sets';
    default:
      return undefined;
  }
}

/** Success and failure counts per operation, and the expiry count. */
export class MockStats {
  readonly #counts = new Map<string, number>();

  /** Counts one request's outcome. */
  record(request: KeyRequest, success: boolean): void {
    const operation = operationOf(request);
    if (operation === undefined) return;
    const name = `${operation}${success ? 'Success' : 'Fail'}`;
    this.#counts.set(name, (this.#counts.get(name) ?? 0) + 1);
  }

  /** Counts expired nodes. */
  expired(count: number): void {
    this.#counts.set('expireCount', (this.#counts.get('expireCount') ?? 0) + count);
  }

  /** The `/v2/stats/store` body, with `watchers` pending waits. */
  snapshot(watchers: number): StoreStats {
    const n = (name: string) => this.#counts.get(name) ?? 0;
    return {
      getsSuccess: n('getsSuccess'),
      getsFail: n('getsFail'),
      setsSuccess: n('setsSuccess'),
      setsFail: n('setsFail'),
      deleteSuccess: n('deleteSuccess'),
      deleteFail: n('deleteFail'),
      updateSuccess: n('updateSuccess'),
      updateFail: n('updateFail'),
      createSuccess: n('createSuccess'),
      createFail: n('createFail'),
      compareAndSwapSuccess: n('compareAndSwapSuccess'),
      compareAndSwapFail: n('compareAndSwapFail'),
      compareAndDeleteSuccess: n('compareAndDeleteSuccess'),
      compareAndDeleteFail: n('compareAndDeleteFail'),
      expireCount: n('expireCount'),
      watchers,
    };
  }

  /** Back to zero (a reset store). */
  clear(): void {
    this.#counts.clear();
  }
}

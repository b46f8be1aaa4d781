// Test seams for the sugar tests (not exported from the package): an adapter that wraps another
// and can be cut off from the network, or made to answer a cleared history (401) to waits.
import {
  type Adapter,
  type AppendRequest,
  ConnectionRefused,
  type DeleteRequest,
  type EtcdResult,
  EventIndexCleared,
  type GetRequest,
  type SetRequest,
} from '@etc/client';

/** Wraps an adapter; `down` refuses every call, `clearHistory` answers the next N waits with a 401. */
export class FaultyAdapter implements Adapter {
  /** While true, every call rejects with `ConnectionRefused`. */
  down = false;
  /** How many upcoming waits (long polls) are answered with `EventIndexCleared`. */
  clearHistory = 0;

  constructor(private readonly inner: Adapter) {}

  get url(): string {
    return this.inner.url;
  }

  get(request: GetRequest): Promise<EtcdResult> {
    if (request.wait && this.clearHistory > 0 && !this.down) {
      this.clearHistory--;
      return Promise.reject(
        new EventIndexCleared({
          errorCode: 401,
          cause: `the requested history has been cleared [${request.waitIndex ?? 0}/1]`,
        }),
      );
    }
    return this.guard(() => this.inner.get(request));
  }

  set(request: SetRequest): Promise<EtcdResult> {
    return this.guard(() => this.inner.set(request));
  }

  append(request: AppendRequest): Promise<EtcdResult> {
    return this.guard(() => this.inner.append(request));
  }

  delete(request: DeleteRequest): Promise<EtcdResult> {
    return this.guard(() => this.inner.delete(request));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private guard(call: () => Promise<EtcdResult>): Promise<EtcdResult> {
    if (this.down)
      return Promise.reject(new ConnectionRefused('connection refused (test)', { endpoint: this.url }));
    return call();
  }
}

/** Records every event a helper reports, by type, for assertions. */
export function recorder<E extends { type: string }>(): {
  events: E[];
  types: () => string[];
  onEvent: (event: E) => void;
} {
  const events: E[] = [];
  return { events, types: () => events.map((event) => event.type), onEvent: (event) => events.push(event) };
}

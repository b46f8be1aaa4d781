// Test seams for the sugar tests (not exported from the package): the one adapter they use, which
// wraps another (a mock) and can be cut off from the network, answer a cleared history (401) to
// waits, lose the answers of appends it applied, or hold refreshes in flight.
import {
  type Adapter,
  type AppendRequest,
  ConnectionRefused,
  type DeleteRequest,
  type EtcdResult,
  EventIndexCleared,
  type GetRequest,
  OutcomeUnknown,
  type SetRequest,
} from '@etc/client';

/** Wraps an adapter and injects the faults its fields ask for. */
export class FaultyAdapter implements Adapter {
  /** While true, every call rejects with `ConnectionRefused`. */
  down = false;
  /** How many upcoming waits (long polls) are answered with `EventIndexCleared`. */
  clearHistory = 0;
  /** How many upcoming appends are applied and then answered with `OutcomeUnknown` (a lost answer). */
  loseAppends = 0;
  /** The appends whose answers were lost, as applied. */
  readonly lostAppends: EtcdResult[] = [];
  /** While true, refreshes stay in flight until `release()`. */
  holdRefreshes = false;
  readonly #held: (() => void)[] = [];

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

  async set(request: SetRequest): Promise<EtcdResult> {
    if (this.holdRefreshes && request.refresh) await new Promise<void>((resolve) => this.#held.push(resolve));
    return this.guard(() => this.inner.set(request));
  }

  /** The number of refreshes held in flight. */
  get held(): number {
    return this.#held.length;
  }

  /** Lets every held refresh go on. */
  release(): void {
    for (const resolve of this.#held.splice(0)) resolve();
  }

  async append(request: AppendRequest): Promise<EtcdResult> {
    const result = await this.guard(() => this.inner.append(request));
    if (this.loseAppends === 0) return result;
    this.loseAppends--;
    this.lostAppends.push(result);
    throw new OutcomeUnknown(
      'the connection broke before the answer (test); the append may have been applied',
      {
        endpoint: this.url,
      },
    );
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

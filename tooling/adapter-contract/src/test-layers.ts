import type { Call, Layer, Send } from '@etc/protocol';

/** What a recording layer saw of one call as it passed. */
export interface SeenCall {
  operation: string;
  kind: Call['kind'];
  /** The call's limit as the deadline layer resolved it before this layer ran. */
  timeout: number;
}

/** A layer that lets every call through and records it, with promises for "n calls have arrived". */
export class Recorder implements Layer {
  readonly name: string;
  readonly seen: SeenCall[] = [];
  /** Names of the recorders, in the order calls entered and left them (shared to see nesting). */
  readonly trail: string[];
  readonly #waiters: Array<{ count: number; resolve: () => void }> = [];

  constructor(name = 'recorder', trail: string[] = []) {
    this.name = name;
    this.trail = trail;
  }

  /** Resolves once `count` calls have reached this layer. */
  arrived(count = 1): Promise<void> {
    if (this.seen.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  wrap(next: Send): Send {
    return async (call) => {
      this.seen.push({ operation: call.operation, kind: call.kind, timeout: call.timeout });
      for (const waiter of this.#waiters.filter((w) => w.count <= this.seen.length)) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      this.trail.push(`${this.name}:in`);
      try {
        return await next(call);
      } finally {
        this.trail.push(`${this.name}:out`);
      }
    };
  }
}

/**
 * Fault injection: fails the first `count` calls with `failure()` before they go further, then lets
 * calls through.
 */
export class FailFirst implements Layer {
  readonly name = 'fail-first';
  /** The errors thrown, in order. */
  readonly thrown: unknown[] = [];
  #left: number;
  readonly #failure: (call: Call) => unknown;

  constructor(count: number, failure: (call: Call) => unknown) {
    this.#left = count;
    this.#failure = failure;
  }

  wrap(next: Send): Send {
    return (call) => {
      if (this.#left > 0) {
        this.#left--;
        const error = this.#failure(call);
        this.thrown.push(error);
        return Promise.reject(error);
      }
      return next(call);
    };
  }
}

/**
 * A layer that holds calls: those `holds(call)` picks never go further and never settle by
 * themselves (only the layers above it, deadline, abort and close, can end them); the others pass.
 */
export class Stall implements Layer {
  readonly name = 'stall';
  readonly #holds: (call: Call) => boolean;
  readonly #arrivals = new Recorder('stall-arrivals');

  constructor(holds: (call: Call) => boolean = () => true) {
    this.#holds = holds;
  }

  /** Resolves once `count` held calls have arrived. */
  arrived(count = 1): Promise<void> {
    return this.#arrivals.arrived(count);
  }

  wrap(next: Send): Send {
    const record = this.#arrivals.wrap(() => new Promise<never>(() => {}));
    return (call) => (this.#holds(call) ? record(call) : next(call));
  }
}

/**
 * A layer that sends calls on but holds each answer until `release()`: the call has reached the
 * server (a write was applied) while the caller still waits.
 */
export class HoldAnswers implements Layer {
  readonly name = 'hold-answers';
  readonly #answered = new Recorder('answered');
  #release!: () => void;
  readonly #released = new Promise<void>((resolve) => {
    this.#release = resolve;
  });

  /** Resolves once `count` answers are held. */
  answered(count = 1): Promise<void> {
    return this.#answered.arrived(count);
  }

  /** Lets every held answer (and every later one) through. */
  release(): void {
    this.#release();
  }

  wrap(next: Send): Send {
    const note = this.#answered.wrap(async () => undefined);
    return async (call) => {
      const result = await next(call);
      await note(call);
      await this.#released;
      return result;
    };
  }
}

import { MockStore } from '@etc/mock';
import type { WireRequest, WireResponse } from '@etc/protocol';
import { rawHttp } from '../etcd-backend.js';
import { compareResponses } from './compare.js';
import { EventLog } from './event-log.js';
import { OpGenerator } from './generator.js';
import { describeOp, type Op, renderOp } from './ops.js';
import { Prng } from './prng.js';

/** Bound on each request of a differential run, in milliseconds (no request should wait at all). */
const requestBound = 5_000;

/** A step where the mock and etcd answered differently. */
export interface Mismatch {
  step: number;
  op: Op;
  request: string;
  difference: string;
  mock: WireResponse;
  etcd: WireResponse;
}

/** The outcome of one run: the ops it applied and the first mismatch, if any. */
export interface RunOutcome {
  prefix: string;
  offset: number;
  ops: Op[];
  /** How often each outcome occurred, keyed `<action>` for successes, `wait <action>` for waits, `error <code>` or `status <n>`. */
  outcomes: Map<string, number>;
  mismatch?: Mismatch | undefined;
}

function outcomeOf(op: Op, response: WireResponse): string {
  try {
    const body = JSON.parse(response.body) as { action?: string; errorCode?: number };
    if (body.errorCode !== undefined) return `error ${body.errorCode}`;
    if (body.action) return op.wait ? `wait ${body.action}` : body.action;
  } catch {
    // Not JSON: counted by status.
  }
  return `status ${response.status}`;
}

async function bounded(send: (signal: AbortSignal) => Promise<WireResponse>): Promise<WireResponse> {
  try {
    return await send(AbortSignal.timeout(requestBound));
  } catch (error) {
    return { status: 0, headers: {}, body: `request failed: ${(error as Error).message}` };
  }
}

function indexOf(response: WireResponse): number {
  const value = response.headers['x-etcd-index'];
  return Number(Array.isArray(value) ? value[0] : value);
}

/**
 * Runs op sequences against a fresh `MockStore` and a fresh key prefix of one dedicated etcd, in
 * lock step, comparing every response. Each run gets a new prefix (`/r0001`, `/r0002`, …) so runs
 * and shrinking replays never see each other's keys; etcd indexes are compared after subtracting
 * the offset between the two servers' indexes at the start of the run.
 */
export class DifferentialRunner {
  private runs = 0;

  constructor(private readonly etcdUrl: string) {}

  /** Generates `count` ops from `seed` and applies them; stops at the first mismatch. */
  generate(seed: number, count: number): Promise<RunOutcome> {
    return this.run(async (context) => {
      const generator = new OpGenerator(new Prng(seed), context.log, context.prefix, (op) =>
        context.store.handle(renderOp(op, context.prefix, 0)),
      );
      for (let step = 0; step < count; step++) {
        const op = await generator.next();
        const result = await context.apply(op, step);
        if (result.mismatch) return result.mismatch;
        generator.noteAppended(op, result.mock);
      }
      return undefined;
    });
  }

  /** Applies a fixed op sequence (waits that history cannot answer at once are skipped). */
  replay(ops: readonly Op[]): Promise<RunOutcome> {
    return this.run(async (context) => {
      for (const [step, op] of ops.entries()) {
        if (
          op.wait &&
          !context.log.answers(renderOp(op, context.prefix, 0).key, op.wait.recursive, op.wait.index)
        ) {
          continue;
        }
        const result = await context.apply(op, step);
        if (result.mismatch) return result.mismatch;
      }
      return undefined;
    });
  }

  /** Compares the answers of a fresh etcd and a fresh `MockStore` to one request. */
  static async compareFresh(etcdUrl: string, request: WireRequest): Promise<string | undefined> {
    const store = new MockStore();
    try {
      const mock = await bounded((signal) => store.handle(request, { signal }));
      const etcd = await bounded((signal) => rawHttp(etcdUrl, request, signal));
      const difference = compareResponses(mock, etcd, { offset: 0, sorted: false });
      return difference && `${difference}\n  mock: ${JSON.stringify(mock)}\n  etcd: ${JSON.stringify(etcd)}`;
    } finally {
      await store.close();
    }
  }

  private async run(
    body: (context: {
      store: MockStore;
      log: EventLog;
      prefix: string;
      apply(op: Op, step: number): Promise<{ mock: WireResponse; mismatch?: Mismatch }>;
    }) => Promise<Mismatch | undefined>,
  ): Promise<RunOutcome> {
    this.runs += 1;
    const prefix = `/r${String(this.runs).padStart(4, '0')}`;
    const store = new MockStore();
    const log = new EventLog();
    const ops: Op[] = [];
    const outcomes = new Map<string, number>();
    const root: WireRequest = { method: 'GET', key: '/', path: '/v2/keys/', params: [], wait: false };
    const offset = indexOf(await rawHttp(this.etcdUrl, root)) - indexOf(await store.handle(root));
    log.current = indexOf(await store.handle(root));
    const apply = async (op: Op, step: number) => {
      ops.push(op);
      const sorted = op.sorted === true;
      const [mock, etcd] = await Promise.all([
        bounded((signal) => store.handle(renderOp(op, prefix, 0), { signal })),
        bounded((signal) => rawHttp(this.etcdUrl, renderOp(op, prefix, offset), signal)),
      ]);
      log.record(op, mock);
      const outcome = outcomeOf(op, mock);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      const difference = compareResponses(mock, etcd, { offset, sorted });
      if (difference === undefined) return { mock };
      const mismatch: Mismatch = { step, op, request: describeOp(op, prefix, 0), difference, mock, etcd };
      return { mock, mismatch };
    };
    try {
      const mismatch = await body({ store, log, prefix, apply });
      return { prefix, offset, ops, outcomes, mismatch };
    } finally {
      await store.close();
    }
  }
}

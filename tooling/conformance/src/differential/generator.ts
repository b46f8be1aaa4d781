import type { WireResponse } from '@etc/protocol';
import type { EventLog } from './event-log.js';
import { type Op, type ParamValue, renderOp, type Segment } from './ops.js';
import type { Prng } from './prng.js';

const names = ['a', 'b', 'c', '_h'];

/** What the generator may know of the current node at a key (read from the mock). */
export interface Peek {
  value?: string | undefined;
  modifiedIndex?: number | undefined;
  dir?: boolean | undefined;
}

type Param = [string, ParamValue];

/**
 * Picks random operations over a small key space (depth ≤ 3, a hidden name), using the mock's
 * current state to choose right conditions half the time. `prefix` is the run's key prefix.
 */
export class OpGenerator {
  private readonly appended: Segment[][] = [];
  private valueCounter = 0;

  constructor(
    private readonly rng: Prng,
    private readonly log: EventLog,
    private readonly prefix: string,
    private readonly peekMock: (op: Op) => Promise<WireResponse>,
  ) {}

  /** The next operation. */
  async next(): Promise<Op> {
    const r = this.rng;
    const key = this.key();
    const roll = r.int(100);
    if (roll < 16) return this.put(key, this.valueOrDir([]));
    if (roll < 24) return this.put(key, this.valueOrDir([['prevExist', 'false']]));
    if (roll < 32) return this.put(key, this.valueOrDir([['prevExist', 'true']]));
    if (roll < 38)
      return { method: 'POST', key: r.chance(0.7) ? key.slice(0, 1) : key, params: this.valueOrDir([]) };
    if (roll < 48) return this.compareAndSwap(key);
    if (roll < 56) return this.compareAndDelete(key);
    if (roll < 66) return this.remove(key);
    if (roll < 80) return this.get(key);
    if (roll < 90) return this.waitFromHistory() ?? this.get(key);
    if (roll < 96) return this.refresh(key);
    return this.malformed(key);
  }

  /** Remembers in-order keys the mock created, so later ops can address them. */
  noteAppended(op: Op, response: WireResponse): void {
    if (op.method !== 'POST' || response.status !== 201) return;
    const index = Number(response.headers['x-etcd-index']);
    if (Number.isInteger(index)) this.appended.push([...op.key, { inOrder: index }]);
  }

  private key(): Segment[] {
    const r = this.rng;
    if (this.appended.length > 0 && r.chance(0.08)) return r.pick(this.appended);
    const depth = r.between(1, 3);
    return Array.from({ length: depth }, () => r.pick(names));
  }

  private value(): string {
    this.valueCounter += 1;
    return this.rng.chance(0.1) ? '' : `v${this.valueCounter}`;
  }

  private valueOrDir(params: Param[]): Param[] {
    const r = this.rng;
    const out: Param[] = r.chance(0.2) ? [['dir', 'true']] : [['value', this.value()]];
    if (r.chance(0.15)) out.push(['ttl', String(r.between(600, 3600))]);
    else if (r.chance(0.05)) out.push(['ttl', '']);
    return [...out, ...params];
  }

  private put(key: Segment[], params: Param[]): Op {
    return { method: 'PUT', key, params };
  }

  private async peek(key: Segment[]): Promise<Peek | undefined> {
    const response = await this.peekMock({ method: 'GET', key, params: [] });
    if (response.status !== 200) return undefined;
    const body = JSON.parse(response.body) as { node: Peek };
    return body.node;
  }

  /** A key that often holds a file (from recent writes), so that right conditions can succeed. */
  private async target(key: Segment[]): Promise<{ key: Segment[]; node: Peek | undefined }> {
    const r = this.rng;
    const events = this.log.recent();
    if (events.length > 0 && r.chance(0.6)) {
      for (let attempt = 0; attempt < 3; attempt++) {
        const candidate = this.relative(r.pick(events).key);
        const node = await this.peek(candidate);
        if (node?.value !== undefined) return { key: candidate, node };
      }
    }
    return { key, node: await this.peek(key) };
  }

  private condition(node: Peek | undefined): Param[] {
    const r = this.rng;
    const right = r.chance(0.5) && node !== undefined;
    const params: Param[] = [];
    const byValue = r.chance(0.6);
    const byIndex = !byValue || r.chance(0.3);
    if (byValue) params.push(['prevValue', right && node?.value ? node.value : `w${r.int(5)}`]);
    if (byIndex) {
      const index =
        right && node?.modifiedIndex ? node.modifiedIndex : Math.max(1, this.log.current - r.int(20));
      params.push(['prevIndex', { index }]);
    }
    return params;
  }

  private async compareAndSwap(key: Segment[]): Promise<Op> {
    const target = await this.target(key);
    const params: Param[] = [['value', this.value()], ...this.condition(target.node)];
    if (this.rng.chance(0.3)) params.push(['prevExist', 'true']);
    return this.put(target.key, params);
  }

  private async compareAndDelete(key: Segment[]): Promise<Op> {
    const target = await this.target(key);
    return { method: 'DELETE', key: target.key, params: this.condition(target.node) };
  }

  /** The segments of a mock-side key under the prefix (in-order names become logical segments). */
  private relative(key: string): Segment[] {
    return key
      .slice(this.prefix.length + 1)
      .split('/')
      .map((s) => (/^\d{20}$/.test(s) ? { inOrder: Number(s) } : s));
  }

  private remove(key: Segment[]): Op {
    const r = this.rng;
    const params: Param[] = [];
    if (r.chance(0.4)) params.push(['dir', 'true']);
    if (r.chance(0.4)) params.push(['recursive', 'true']);
    return { method: 'DELETE', key: r.chance(0.3) ? key.slice(0, 1) : key, params };
  }

  private get(key: Segment[]): Op {
    const r = this.rng;
    const params: Param[] = [];
    const shallow = r.chance(0.5) ? key.slice(0, 1) : key;
    if (r.chance(0.5)) params.push(['recursive', 'true']);
    const sorted = r.chance(0.5);
    if (sorted) params.push(['sorted', 'true']);
    if (r.chance(0.2)) params.push(['quorum', 'true']);
    return { method: 'GET', key: r.chance(0.05) ? [] : shallow, params, sorted };
  }

  private waitFromHistory(): Op | undefined {
    const r = this.rng;
    const events = this.log.recent();
    if (events.length === 0) return undefined;
    const event = r.pick(events);
    const relative = this.relative(event.key);
    const recursive = r.chance(0.4);
    const depth = recursive ? r.between(1, relative.length) : relative.length;
    const key = relative.slice(0, depth);
    const lowest = Math.max(1, this.log.current - 999);
    const index = Math.max(lowest, event.index - r.int(10));
    const op: Op = {
      method: 'GET',
      key,
      params: [
        ['wait', 'true'],
        ['waitIndex', { index }],
      ],
      wait: { recursive, index },
    };
    if (recursive) op.params.push(['recursive', 'true']);
    return this.log.answers(renderOp(op, this.prefix, 0).key, recursive, index) ? op : undefined;
  }

  private async refresh(key: Segment[]): Promise<Op> {
    const r = this.rng;
    const params: Param[] = [
      ['refresh', 'true'],
      ['ttl', String(r.between(600, 3600))],
    ];
    if (r.chance(0.3)) params.push(['prevExist', 'true']);
    if (!r.chance(0.3)) return { method: 'PUT', key, params, refresh: true };
    const target = await this.target(key);
    params.push(...this.condition(target.node));
    return { method: 'PUT', key: target.key, params, refresh: true };
  }

  private malformed(key: Segment[]): Op {
    const r = this.rng;
    const choices: Param[][] = [
      [
        ['value', 'x'],
        ['prevValue', ''],
      ],
      [
        ['value', 'x'],
        ['ttl', 'soon'],
      ],
      [
        ['value', 'x'],
        ['prevIndex', 'first'],
      ],
      [
        ['value', 'x'],
        ['dir', 'maybe'],
      ],
      [['refresh', 'true']],
      [
        ['value', 'x'],
        ['prevIndex', '0'],
      ],
      [
        ['refresh', 'true'],
        ['value', 'x'],
        ['ttl', '700'],
      ],
    ];
    return { method: 'PUT', key, params: r.pick(choices) };
  }
}

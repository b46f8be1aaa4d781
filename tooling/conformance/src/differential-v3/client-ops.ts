/**
 * Random client-level operations for the v3-vs-v2 differential test: the same calls go to an
 * `etcd()` client on a real etcd's v2 API and to an `etcdV3()` client on an etcd without v2.
 * Indexes in an op are the v2 side's; the v3 side gets them shifted by the offset of the two
 * stores.
 */
import { type Client, EtcdError, type EtcdResult, type Node } from '@etc/client';
import { Prng } from '../differential/prng.js';

/** One operation: a label for reports, and how to run it on a client given the index shift. */
export interface ClientOp {
  label: string;
  run(client: Client, shift: (index: number) => number): Promise<EtcdResult>;
}

const names = ['a', 'b', 'c', 'a/x', 'a/y', 'b/z', 'a/x/deep', '_h', 'a/_h', 'a/_h/q', 'q'];

/** Generates ops under `prefix`, remembering indexes seen (v2 side) for compares and waits. */
export class ClientOpGenerator {
  private readonly rng: Prng;
  /** Indexes the v2 side reported for writes, for prevIndex compares. */
  readonly indexes: number[] = [];
  /** Writes the v2 side made (not refreshes): a wait from one of them is answered from history. */
  readonly writes: Array<{ index: number; key: string }> = [];

  constructor(
    seed: number,
    private readonly prefix: string,
  ) {
    this.rng = new Prng(seed);
  }

  private key(): string {
    return `${this.prefix}/${this.rng.pick(names)}`;
  }

  private value(): string {
    return `v${this.rng.int(4)}`;
  }

  private pastIndex(): number {
    if (this.indexes.length === 0) return 1;
    return this.rng.pick(this.indexes);
  }

  /** Notes a v2-side result, so later ops can compare against and wait from its index. */
  note(result: EtcdResult | undefined, refresh: boolean): void {
    const index = result?.node.modifiedIndex;
    if (result === undefined || index === undefined || result.action === 'get') return;
    this.indexes.push(index);
    if (!refresh && !/\/\d{20}/.test(result.key)) this.writes.push({ index, key: result.key });
  }

  next(): ClientOp {
    const key = this.key();
    const value = this.value();
    const r = this.rng.int(17);
    const ttl = this.rng.chance(0.2) ? 1000 : undefined;
    switch (r) {
      case 0:
      case 1:
        return { label: `set ${key} ${value}${ttl ? ' ttl' : ''}`, run: (c) => c.set(key, value, { ttl }) };
      case 2:
        return { label: `set ${key} dir`, run: (c) => c.set(key, { dir: true, ttl }) };
      case 3:
        return { label: `create ${key} ${value}`, run: (c) => c.create(key, value, { ttl }) };
      case 4:
        return { label: `update ${key} ${value}`, run: (c) => c.update(key, value, { ttl }) };
      case 5: {
        const prevValue = this.value();
        return { label: `cas ${key} prevValue=${prevValue}`, run: (c) => c.set(key, value, { prevValue }) };
      }
      case 6: {
        const prevIndex = this.pastIndex();
        return {
          label: `cas ${key} prevIndex=${prevIndex}`,
          run: (c, shift) => c.set(key, value, { prevIndex: shift(prevIndex) }),
        };
      }
      case 7: {
        const prevValue = this.value();
        return { label: `cad ${key} prevValue=${prevValue}`, run: (c) => c.delete(key, { prevValue }) };
      }
      case 8: {
        const dir = this.rng.chance(0.5);
        const recursive = this.rng.chance(0.4);
        return {
          label: `delete ${key} dir=${dir} recursive=${recursive}`,
          run: (c) => c.delete(key, { dir, recursive }),
        };
      }
      case 9:
      case 10: {
        const recursive = this.rng.chance(0.5);
        const target = this.rng.chance(0.2) ? this.prefix : key;
        return {
          label: `get ${target} recursive=${recursive}`,
          run: (c) => c.get(target, { recursive, sorted: true }),
        };
      }
      case 11: {
        const dir = this.rng.chance(0.2);
        const target = this.rng.chance(0.7) ? `${this.prefix}/q` : key;
        return {
          label: `append ${target}${dir ? ' dir' : ''}`,
          run: (c) => (dir ? c.append(target, { dir: true }) : c.append(target, value)),
        };
      }
      case 12:
        return { label: `refresh ${key}`, run: (c) => c.refresh(key, 900) };
      case 13: {
        if (this.writes.length === 0) return { label: `get ${key}`, run: (c) => c.get(key) };
        const write = this.rng.pick(this.writes);
        const index = write.index;
        const recursive = this.rng.chance(0.5);
        const target = recursive && this.rng.chance(0.5) ? this.prefix : write.key;
        return {
          label: `wait ${target} index=${index} recursive=${recursive}`,
          // Only from history, so it answers at once on both (the index is at or before the last write).
          run: (c, shift) => c.wait(target, { index: shift(index), recursive, timeout: 10_000 }),
        };
      }
      case 14: {
        // A directory's TTL changed, refreshed or removed: what it holds goes with it.
        const variant = this.rng.pick(['ttl', 'refresh', 'permanent'] as const);
        if (variant === 'refresh')
          return {
            label: `refresh ${key} dir (an update)`, // "refresh": not a write a wait can start from
            run: (c) => c.update(key, { dir: true, refresh: true, ttl: 700 }),
          };
        if (variant === 'permanent')
          return { label: `update ${key} dir`, run: (c) => c.update(key, { dir: true }) };
        return { label: `update ${key} dir ttl`, run: (c) => c.update(key, { dir: true, ttl: 800 }) };
      }
      case 15:
        return { label: `create ${key} dir`, run: (c) => c.create(key, { dir: true }) };
      default: {
        const prevIndex = this.pastIndex();
        return {
          label: `cad ${key} prevIndex=${prevIndex}`,
          run: (c, shift) => c.delete(key, { prevIndex: shift(prevIndex) }),
        };
      }
    }
  }
}

/** A key with its in-order (20-digit) names shifted to the v2 side. */
function keyView(key: string, unshift: (index: number) => number): string {
  return key.replace(
    /\/(\d{20})(?=\/|$)/g,
    (_, n: string) => `/${String(unshift(Number(n))).padStart(20, '0')}`,
  );
}

/** A node as compared: indexes shifted to the v2 side, whether it has a ttl, children by key. */
function nodeView(node: Node | undefined, unshift: (index: number) => number): unknown {
  if (node === undefined) return undefined;
  const n = node as Node & { value?: string; nodes?: Node[] };
  return {
    key: keyView(n.key, unshift),
    dir: n.dir,
    value: n.value,
    modifiedIndex: n.modifiedIndex === undefined ? undefined : unshift(n.modifiedIndex),
    createdIndex: n.createdIndex === undefined ? undefined : unshift(n.createdIndex),
    // Present or not: v2 keeps the ttl an event had when it happened, the v3 layout computes it when
    // answering (a listed difference); the TTLs used are long, so only presence is compared.
    ttl: n.ttl === undefined ? undefined : n.ttl > 0,
    expires: n.expiration !== undefined,
    nodes: n.nodes
      ?.map((c) => nodeView(c, unshift))
      .sort((a, b) => String((a as { key: string }).key).localeCompare(String((b as { key: string }).key))),
  };
}

/** What is compared of an answer: the class and action, nodes, index, or the error. */
export function answerView(
  outcome: { result?: EtcdResult; error?: unknown },
  unshift: (index: number) => number,
): unknown {
  if (outcome.error !== undefined) {
    const e = outcome.error;
    if (!(e instanceof EtcdError)) return { thrown: String(e) };
    const cause = (e.cause === undefined ? undefined : keyView(e.cause, unshift))?.replace(
      /\[(\d+) != (\d+)\]/g,
      (_, a: string, b: string) => `[${unshift(Number(a))} != ${unshift(Number(b))}]`,
    );
    return {
      error: e.name,
      errorCode: e.errorCode,
      message: e.message,
      cause,
      index: e.index === 0 ? 0 : unshift(e.index),
    };
  }
  const r = outcome.result as EtcdResult;
  return {
    class: r.constructor.name,
    action: r.action,
    etcdIndex: unshift(r.etcdIndex),
    node: nodeView(r.node, unshift),
    prevNode: nodeView(r.prevNode, unshift),
  };
}

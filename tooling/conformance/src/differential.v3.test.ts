import { type Client, type EtcdResult, etcd } from '@etc/client';
import { type EtcdCluster, startEtcd } from '@etc/etcd-launcher';
import { etcdV3 } from '@etc/transport-v3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { answerView, ClientOpGenerator } from './differential-v3/client-ops.js';

// The seeded differential test of the v3 adapter: the same random client calls go to etcd()
// on a fresh etcd's v2 API and to etcdV3() on a fresh etcd without v2, and every answer must be
// the same (class, action, nodes, indexes relative to the start, errors with message and cause).
const seeds = process.env.DIFF_SEED ? [Number(process.env.DIFF_SEED)] : [1, 2, 3];
const count = process.env.DIFF_OPS ? Number(process.env.DIFF_OPS) : 300;

async function outcome(promise: Promise<EtcdResult>): Promise<{ result?: EtcdResult; error?: unknown }> {
  try {
    return { result: await promise };
  } catch (error) {
    return { error };
  }
}

describe('differential: etcdV3() on etcd without v2 vs etcd() on etcd v2', () => {
  let v2: EtcdCluster;
  let v3: EtcdCluster;
  let a: Client;
  let b: Client;

  beforeAll(async () => {
    const binary = inject('etcdBin') || undefined;
    [v2, v3] = await Promise.all([
      startEtcd({ binary, name: 'diff-v2' }),
      startEtcd({ binary, name: 'diff-v3', v2: false }),
    ]);
    a = etcd(v2.url);
    b = etcdV3(v3.url);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await Promise.all([v2?.stop(), v3?.stop()]);
  });

  for (const seed of seeds) {
    it(`seed ${seed}: ${count} operations answer alike`, async () => {
      const prefix = `/s${seed}`;
      const startA = await a.set(`${prefix}/start`, 's');
      const startB = await b.set(`${prefix}/start`, 's');
      const offset = startB.etcdIndex - startA.etcdIndex;
      const shift = (index: number) => index + offset;
      const unshift = (index: number) => index - offset;
      const generator = new ClientOpGenerator(seed, prefix);
      generator.note(startA, false);
      const log: string[] = [];
      const seen = new Set<string>();
      for (let step = 0; step < count; step++) {
        const op = generator.next();
        const left = await outcome(op.run(a, (i) => i));
        const right = await outcome(op.run(b, shift));
        log.push(op.label);
        const expected = answerView(left, (i) => i);
        const actual = answerView(right, unshift);
        if (JSON.stringify(expected) !== JSON.stringify(actual)) {
          expect({ seed, step, op: op.label, recent: log.slice(-8), answer: actual }).toEqual({
            seed,
            step,
            op: op.label,
            recent: log.slice(-8),
            answer: expected,
          });
        }
        generator.note(left.result, op.label.startsWith('refresh'));
        const view = expected as { class?: string; error?: string };
        seen.add(view.class ?? view.error ?? 'other');
      }
      // The run must have exercised a real mix of answers, or matching proves little.
      for (const name of [
        'Got',
        'Set',
        'Created',
        'Updated',
        'Deleted',
        'KeyNotFound',
        'TestFailed',
        'NotFile',
      ]) {
        expect(seen, `no ${name} in seed ${seed}`).toContain(name);
      }
    }, 300_000);
  }
});

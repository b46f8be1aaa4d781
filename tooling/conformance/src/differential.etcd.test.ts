import { type EtcdCluster, startEtcd } from '@etc/etcd-launcher';
import { encodeGet } from '@etc/protocol';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { formatMismatch } from './differential/report.js';
import { DifferentialRunner } from './differential/runner.js';
import { shrink } from './differential/shrink.js';

// A seeded random differential test: the same raw requests go to a fresh MockStore and to a
// dedicated fresh etcd (each run under a new key prefix), and every answer must match.
const seeds = process.env.DIFF_SEED ? [Number(process.env.DIFF_SEED)] : [1, 2, 3, 4];
const count = process.env.DIFF_OPS ? Number(process.env.DIFF_OPS) : 600;

describe('differential: mock vs a fresh etcd', () => {
  let cluster: EtcdCluster;
  let runner: DifferentialRunner;

  beforeAll(async () => {
    const binary = inject('etcdBin');
    cluster = await startEtcd({ name: 'differential', ...(binary ? { binary } : {}) });
    runner = new DifferentialRunner(cluster.url);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('a fresh etcd and a fresh MockStore answer the root and a missing key alike', async () => {
    for (const request of [encodeGet({ key: '/' }), encodeGet({ key: '/missing', recursive: true })]) {
      expect(await DifferentialRunner.compareFresh(cluster.url, request)).toBeUndefined();
    }
  });

  for (const seed of seeds) {
    it(`seed ${seed}: ${count} random operations answer alike`, { timeout: 60_000 }, async () => {
      const outcome = await runner.generate(seed, count);
      console.info(`seed ${seed}:`, Object.fromEntries([...outcome.outcomes].sort()));
      if (outcome.mismatch) {
        const shrunk = await shrink(runner, outcome.ops, outcome.mismatch, {
          milliseconds: 15_000,
          replays: 200,
        });
        const report = formatMismatch(seed, count, outcome.mismatch, shrunk);
        console.error(report);
        expect.fail(report);
      }
      expect(outcome.ops).toHaveLength(count);
      if (count >= 300) {
        // The generator must reach every kind of answer, or the comparison proves little.
        const seen = [...outcome.outcomes.keys()];
        for (const kind of [
          'set',
          'create',
          'update',
          'compareAndSwap',
          'delete',
          'compareAndDelete',
          'get',
        ]) {
          expect(seen, kind).toContain(kind);
        }
        for (const kind of ['error 100', 'error 101', 'error 102', 'error 104', 'error 105']) {
          expect(seen, kind).toContain(kind);
        }
        expect(seen.some((kind) => kind.startsWith('wait '))).toBe(true);
      }
    });
  }
});

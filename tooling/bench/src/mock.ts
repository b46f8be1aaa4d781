/** The in-memory mock's throughput through `mockEtcd()`: gets/s and sets/s, one call in flight. */
import { mockEtcd } from '@etc/mock';
import { measure } from './measure.js';

/** Best and median rate of several rounds, in ops/s. */
export interface Rates {
  best: number;
  median: number;
  rounds: number[];
}

function summary(rates: number[]): Rates {
  const sorted = [...rates].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { best: sorted[sorted.length - 1] as number, median, rounds: rates };
}

/**
 * Measures `client.get` and `client.set` of one key through `mockEtcd()`, single-threaded with one
 * call in flight, in `rounds` alternating rounds of `count` calls each (after a warm-up).
 */
export async function mockRates(count: number, rounds: number): Promise<{ get: Rates; set: Rates }> {
  const client = mockEtcd();
  try {
    await client.set('/bench/key', 'value');
    const get = () => client.get('/bench/key');
    const set = (i: number) => client.set('/bench/put', `v${i}`);
    await measure('warm-up get', count, 1, get);
    await measure('warm-up set', count, 1, set);
    const gets: number[] = [];
    const sets: number[] = [];
    for (let round = 0; round < rounds; round++) {
      gets.push((await measure('get', count, 1, get)).opsPerSecond);
      sets.push((await measure('set', count, 1, set)).opsPerSecond);
    }
    return { get: summary(gets), set: summary(sets) };
  } finally {
    await client.close();
  }
}

/** The mock section of the benchmark output. */
export function mockReport(rates: { get: Rates; set: Rates }, count: number): string {
  const row = (name: string, r: Rates) =>
    `| ${name} | ${r.best.toFixed(0)} | ${r.median.toFixed(0)} | ${r.rounds.map((x) => x.toFixed(0)).join(', ')} |`;
  return [
    `mock: mockEtcd() in memory, 1 call in flight (${count} calls x ${rates.get.rounds.length} rounds)`,
    '',
    '| operation | best ops/s | median ops/s | every round |',
    '|---|---|---|---|',
    row('get', rates.get),
    row('set', rates.set),
  ].join('\n');
}

// `node … src/mock.ts` runs only this section.
if (import.meta.url === `file://${process.argv[1]}`) {
  const count = Number(process.env.BENCH_MOCK_OPS ?? 50_000);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  console.log(mockReport(await mockRates(count, rounds), count));
}

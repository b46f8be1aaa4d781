/** The in-memory mock's throughput through `mockEtcd()`: gets/s and sets/s, one call in flight. */
import { mockEtcd } from '@etc/mock';

/** Best and median of several rounds, in ops/s: by the wall clock, and per second of this process's CPU time. */
export interface Rates {
  wall: { best: number; median: number };
  cpu: { best: number; median: number };
  rounds: number;
}

function best(rates: number[]): number {
  return Math.max(...rates);
}

function median(rates: number[]): number {
  const sorted = [...rates].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Runs `op` `count` times, one at a time; returns ops/s by wall clock and by CPU time (user + system). */
async function round(count: number, op: (i: number) => Promise<unknown>): Promise<[number, number]> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < count; i++) await op(i);
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return [(count / ms) * 1000, (count / ((used.user + used.system) / 1000)) * 1000];
}

/**
 * Measures `client.get` and `client.set` of one key through `mockEtcd()`, single-threaded with one
 * call in flight, in `rounds` alternating rounds of `count` calls each, after a warm-up round. The
 * CPU-time rate is what the mock costs; the wall-clock rate also counts time the process waited
 * for a CPU, which on a shared machine can be most of it.
 */
export async function mockRates(count: number, rounds: number): Promise<{ get: Rates; set: Rates }> {
  const client = mockEtcd();
  try {
    await client.set('/bench/key', 'value');
    const get = () => client.get('/bench/key');
    const set = (i: number) => client.set('/bench/put', `v${i}`);
    await round(count, get);
    await round(count, set);
    const gets: Array<[number, number]> = [];
    const sets: Array<[number, number]> = [];
    for (let r = 0; r < rounds; r++) {
      gets.push(await round(count, get));
      sets.push(await round(count, set));
    }
    const rates = (list: Array<[number, number]>): Rates => {
      const wall = list.map(([w]) => w);
      const cpu = list.map(([, c]) => c);
      return {
        wall: { best: best(wall), median: median(wall) },
        cpu: { best: best(cpu), median: median(cpu) },
        rounds,
      };
    };
    return { get: rates(gets), set: rates(sets) };
  } finally {
    await client.close();
  }
}

/** The mock section of the benchmark output. */
export function mockReport(rates: { get: Rates; set: Rates }, count: number): string {
  const n = (x: number) => x.toFixed(0);
  const row = (name: string, r: Rates) =>
    `| ${name} | ${n(r.wall.best)} | ${n(r.wall.median)} | ${n(r.cpu.best)} | ${n(r.cpu.median)} |`;
  return [
    `mock: mockEtcd() in memory, one call in flight (${count} calls x ${rates.get.rounds} rounds)`,
    '',
    '| operation | best ops/s | median ops/s | best ops per CPU-second | median ops per CPU-second |',
    '|---|---|---|---|---|',
    row('get', rates.get),
    row('set', rates.set),
  ].join('\n');
}

/** Timing helpers for the benchmarks: they report rates and ratios, never pass/fail. */

export interface Measurement {
  name: string;
  ops: number;
  ms: number;
  opsPerSecond: number;
}

/** Runs `op` `count` times with `concurrency` in flight and returns the rate. */
export async function measure(
  name: string,
  count: number,
  concurrency: number,
  op: (i: number) => Promise<unknown>,
): Promise<Measurement> {
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    while (next < count) await op(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ms = performance.now() - start;
  return { name, ops: count, ms, opsPerSecond: (count / ms) * 1000 };
}

/**
 * Measures a baseline and a candidate in alternating rounds (so drift on a shared machine hits both)
 * and returns the best round of each.
 */
export async function compare(
  rounds: number,
  count: number,
  concurrency: number,
  baseline: [string, (i: number) => Promise<unknown>],
  candidate: [string, (i: number) => Promise<unknown>],
): Promise<{ baseline: Measurement; candidate: Measurement; ratio: number }> {
  let best: [Measurement | undefined, Measurement | undefined] = [undefined, undefined];
  for (let round = 0; round < rounds; round++) {
    const b = await measure(baseline[0], count, concurrency, baseline[1]);
    const c = await measure(candidate[0], count, concurrency, candidate[1]);
    if (!best[0] || b.opsPerSecond > best[0].opsPerSecond) best = [b, best[1]];
    if (!best[1] || c.opsPerSecond > best[1].opsPerSecond) best = [best[0], c];
  }
  const [b, c] = best as [Measurement, Measurement];
  return { baseline: b, candidate: c, ratio: c.opsPerSecond / b.opsPerSecond };
}

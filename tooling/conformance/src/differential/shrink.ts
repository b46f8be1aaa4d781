import type { Op } from './ops.js';
import type { DifferentialRunner, Mismatch } from './runner.js';

/** Bounds on shrinking: wall time in milliseconds and number of replays. */
export interface ShrinkBudget {
  milliseconds: number;
  replays: number;
}

/** The smallest failing sequence found and how it fails. */
export interface ShrinkResult {
  ops: Op[];
  mismatch: Mismatch;
  replays: number;
  exhausted: boolean;
}

/**
 * Shrinks the ops up to a mismatch: first tries short suffixes, then delta-debugs (ddmin): removes chunks of the prefix while a replay on
 * a fresh mock and a fresh etcd prefix still mismatches somewhere, and truncates at that step.
 * Stops when the budget runs out (`exhausted`), keeping the best sequence so far.
 */
export async function shrink(
  runner: DifferentialRunner,
  ops: readonly Op[],
  mismatch: Mismatch,
  budget: ShrinkBudget,
): Promise<ShrinkResult> {
  const deadline = Date.now() + budget.milliseconds;
  let best = ops.slice(0, mismatch.step + 1);
  let bestMismatch = mismatch;
  let replays = 0;
  const out = () => Date.now() > deadline || replays >= budget.replays;
  const fails = async (candidate: Op[]): Promise<Mismatch | undefined> => {
    replays += 1;
    const outcome = await runner.replay(candidate);
    return outcome.mismatch;
  };
  // Cheap first: short suffixes ending at the failing op often reproduce alone.
  for (let k = 1; k < best.length && !out(); k *= 2) {
    const found = await fails(best.slice(-k));
    if (found) {
      best = best.slice(-k).slice(0, found.step + 1);
      bestMismatch = found;
      break;
    }
  }
  let chunks = 2;
  while (best.length > 1 && !out()) {
    const size = Math.ceil(best.length / chunks);
    let reduced = false;
    for (let start = 0; start < best.length && !out(); start += size) {
      const candidate = [...best.slice(0, start), ...best.slice(start + size)];
      if (candidate.length === 0) continue;
      const found = await fails(candidate);
      if (found) {
        best = candidate.slice(0, found.step + 1);
        bestMismatch = found;
        chunks = Math.max(chunks - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (size <= 1) break;
      chunks = Math.min(chunks * 2, best.length);
    }
  }
  return { ops: best, mismatch: bestMismatch, replays, exhausted: out() };
}

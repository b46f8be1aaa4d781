import { describeOp } from './ops.js';
import type { Mismatch } from './runner.js';
import type { ShrinkResult } from './shrink.js';

/** A readable account of a mismatch: seed, step, both responses, and the shrunk sequence. */
export function formatMismatch(
  seed: number,
  count: number,
  mismatch: Mismatch,
  shrunk?: ShrinkResult,
): string {
  const lines = [
    `differential mismatch: DIFF_SEED=${seed} DIFF_OPS=${count}, step ${mismatch.step}`,
    `  request: ${mismatch.request}`,
    `  difference: ${mismatch.difference}`,
    `  mock: ${mismatch.mock.status} ${mismatch.mock.body.trimEnd()} (x-etcd-index ${String(mismatch.mock.headers['x-etcd-index'])})`,
    `  etcd: ${mismatch.etcd.status} ${mismatch.etcd.body.trimEnd()} (x-etcd-index ${String(mismatch.etcd.headers['x-etcd-index'])})`,
  ];
  if (shrunk) {
    lines.push(
      `shrunk to ${shrunk.ops.length} ops in ${shrunk.replays} replays${shrunk.exhausted ? ' (budget ran out)' : ''}; ` +
        'indexes are those of a fresh MockStore, keys under /rNNNN:',
    );
    for (const op of shrunk.ops) lines.push(`  ${describeOp(op, '/rNNNN', 0)}`);
    lines.push(`  last step differs: ${shrunk.mismatch.difference}`);
    lines.push(`    mock: ${shrunk.mismatch.mock.status} ${shrunk.mismatch.mock.body.trimEnd()}`);
    lines.push(`    etcd: ${shrunk.mismatch.etcd.status} ${shrunk.mismatch.etcd.body.trimEnd()}`);
  }
  return lines.join('\n');
}

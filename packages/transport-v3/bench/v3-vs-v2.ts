/**
 * etcdV3() next to etcd() (the v2 HTTP path) on the same machine: get and set of one key at 1 and
 * 64 calls in flight, each against its own fresh etcd (v3-only, and with v2), best of the rounds.
 *
 *   pnpm --filter @etc/transport-v3 bench:v2   (BENCH_CALLS, default 2000; BENCH_ROUNDS, default 3)
 */
import { type Client, etcd } from '@etc/client';
import { startEtcd } from '@etc/etcd-launcher';
import { etcdV3 } from '../src/index.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

async function measure(
  call: () => Promise<unknown>,
  inFlight: number,
): Promise<{ ops: number; cpu: number }> {
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < CALLS) await call();
    }),
  );
  const ns = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  return { ops: (CALLS / ns) * 1e9, cpu: (cpu.user + cpu.system) / CALLS };
}

const [v2, v3] = await Promise.all([
  startEtcd({ name: 'bench-v2' }),
  startEtcd({ name: 'bench-v3', v2: false }),
]);
const clients: Record<string, Client> = {
  'etcd() v2 HTTP': etcd(v2.url),
  'etcdV3() v3 gRPC': etcdV3(v3.url),
};
try {
  for (const client of Object.values(clients)) await client.set('/bench/key', 'x'.repeat(64));
  const best = new Map<string, { ops: number; cpu: number }>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const op of ['get', 'set'] as const) {
      for (const inFlight of [1, 64]) {
        for (const [name, client] of Object.entries(clients)) {
          const call =
            op === 'get' ? () => client.get('/bench/key') : () => client.set('/bench/key', 'y'.repeat(64));
          const m = await measure(call, inFlight);
          const key = `| ${name} | ${op} | ${inFlight} |`;
          const prev = best.get(key);
          if (!prev || m.ops > prev.ops) best.set(key, m);
        }
      }
    }
  }
  console.log(`${CALLS} calls per measurement, best of ${ROUNDS} rounds\n`);
  console.log('| client | op | in flight | ops/s | client CPU µs/call |\n|---|---|---|---|---|');
  for (const [key, m] of best) console.log(`${key} ${Math.round(m.ops)} | ${m.cpu.toFixed(1)} |`);
} finally {
  await Promise.all(Object.values(clients).map((c) => c.close()));
  await Promise.all([v2.stop(), v3.stop()]);
}

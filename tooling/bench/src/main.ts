import { etcd } from '@etc/client';
import { startEtcd } from '@etc/etcd-launcher';
import { Pool } from 'undici';
import { compare } from './measure.js';
import { retainedPerGet, watchMemory } from './memory.js';
import { mockRates, mockReport } from './mock.js';

// Compares etc against a bare undici request to the same etcd, in the same process and run.
// Prints ops/s and the ratio (etc / bare); 1.00 means "as fast as a bare HTTP request".
const count = Number(process.env.BENCH_OPS ?? 2000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const mockCount = Number(process.env.BENCH_MOCK_OPS ?? 50_000);

// `BENCH_ONLY=mock` measures the in-memory mock alone (no etcd is started).
if (process.env.BENCH_ONLY === 'mock') {
  console.log(mockReport(await mockRates(mockCount, rounds), mockCount));
  process.exit(0);
}

const external = process.env.ETCD_URL;
const cluster = external ? undefined : await startEtcd();
const url = external ?? cluster!.url;
const pool = new Pool(url, { connections: 16 });
const client = etcd(url, { connections: 16 });
const prefix = `/bench-${process.pid}`;
await client.set(`${prefix}/key`, 'value');

const bareGet = () =>
  pool
    .request({ method: 'GET', path: `/v2/keys${prefix}/key` })
    .then(async (r) => JSON.parse(await r.body.text()));
const barePut = (i: number) =>
  pool
    .request({
      method: 'PUT',
      path: `/v2/keys${prefix}/put`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `value=v${i}`,
    })
    .then(async (r) => JSON.parse(await r.body.text()));
const etcGet = () => client.get(`${prefix}/key`);
const etcSet = (i: number) => client.set(`${prefix}/put`, `v${i}`);

// Warm up both paths (connections, JIT).
for (let i = 0; i < 200; i++) await Promise.all([bareGet(), etcGet()]);

const rows: string[][] = [];
for (const [label, concurrency, base, cand] of [
  ['get, 1 in flight', 1, bareGet, etcGet],
  ['get, 16 in flight', 16, bareGet, etcGet],
  ['set, 1 in flight', 1, barePut, etcSet],
  ['set, 16 in flight', 16, barePut, etcSet],
] as const) {
  const r = await compare(rounds, count, concurrency, ['bare undici', base], ['etc', cand]);
  rows.push([
    label,
    r.baseline.opsPerSecond.toFixed(0),
    r.candidate.opsPerSecond.toFixed(0),
    r.ratio.toFixed(2),
  ]);
}

const watchers = 1000;
const memory = await watchMemory(url, client, `${prefix}/key`, watchers);
const retained = await retainedPerGet(client, `${prefix}/key`, 20_000);

const mock = await mockRates(mockCount, rounds);

console.log(`etc vs a bare undici request to the same etcd (${count} ops x ${rounds} rounds, best round)\n`);
console.log('| operation | bare undici ops/s | etc ops/s | ratio |');
console.log('|---|---|---|---|');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
console.log(`\n${mockReport(mock, mockCount)}`);
console.log(`\n| memory | bare undici | etc | ratio |`);
console.log('|---|---|---|---|');
console.log(
  `| heap per watcher, ${watchers} watchers of one key | ${(memory.bare / 1024).toFixed(1)} KiB | ${(memory.etc / 1024).toFixed(1)} KiB | ${(memory.etc / memory.bare).toFixed(2)} |`,
);
console.log(`\nheap retained per get after 20,000 gets: ${retained.toFixed(1)} bytes`);

await client.delete(prefix, { recursive: true });
await Promise.all([client.close(), pool.close()]);
await cluster?.stop();

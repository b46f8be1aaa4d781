// etcdV3 (@etc/transport-v3: the v2 keys API over etcd's v3 gRPC API) side by side, in one process,
// with the `etcd3` npm client (grpc-js) on the SAME etcd started with --enable-v2=false, and with
// etcd() (the v2 HTTP path) on an etcd with v2 enabled. Then 10,000 watchers of one key on one
// etcdV3 client: heap per watcher, HTTP/2 connections and streams, write → event latency.
// Prints markdown tables; figures vary between runs (client and etcd share the machine).
//
//   pnpm --filter @etc/bench bench:v3      V3_OPS (default 1000), V3_ROUNDS (5),
//                                          V3_WATCHERS (10000), V3_EVENTS (5)

import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import { syncBuiltinESMExports } from 'node:module';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Client, etcd, Value } from '@etc/client';
import { startEtcd } from '@etc/etcd-launcher';
import { etcdV3 } from '@etc/transport-v3';
import { Etcd3 } from 'etcd3';
import { settledHeap } from './memory.js';

const ops = Number(process.env.V3_OPS ?? 1000);
const rounds = Number(process.env.V3_ROUNDS ?? 5);
const watcherCount = Number(process.env.V3_WATCHERS ?? 10_000);
const events = Number(process.env.V3_EVENTS ?? 5);
const inFlight = [1, 64] as const;

// Every HTTP/2 session and stream this process opens is counted (etcdV3 and grpc-js both use
// node:http2), so the watcher section can show what its watchers cost on the wire.
const wire = { sessions: 0, streams: new Map<string, number>() };
const connect = http2.connect;
http2.connect = ((...args: Parameters<typeof connect>) => {
  const session = connect(...args);
  wire.sessions++;
  const request = session.request.bind(session);
  session.request = ((headers, options) => {
    const path = String(headers?.[':path'] ?? '?');
    wire.streams.set(path, (wire.streams.get(path) ?? 0) + 1);
    return request(headers, options);
  }) as typeof session.request;
  return session;
}) as typeof connect;
syncBuiltinESMExports();

const load = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(' / ');
const loadAtStart = load();

const [v3Member, v2Member] = await Promise.all([
  startEtcd({ name: 'bench-v3-only', v2: false }),
  startEtcd({ name: 'bench-v2' }),
]);
const value = 'x'.repeat(64);
const v3 = etcdV3(v3Member.url);
const e3 = new Etcd3({ hosts: v3Member.url });
const v2 = etcd(v2Member.url);

// The same 64-byte value under one key for every side (etcdV3's v2 key /bench/key lives at
// /etc-v2/bench/key in the v3 keyspace; etcd3 reads and writes a plain v3 key).
await Promise.all([
  v3.set('/bench/key', value),
  e3.put('bench/key').value(value),
  v2.set('/bench/key', value),
]);

interface Side {
  name: string;
  /** The etcd process this side talks to. */
  pid: number;
  get(): Promise<unknown>;
  set(i: number): Promise<unknown>;
}
const sides: Side[] = [
  {
    name: 'etcdV3',
    pid: v3Member.members[0]!.pid,
    get: async () => (await v3.get('/bench/key')).value,
    set: (i) => v3.set('/bench/put', `${value}${i}`),
  },
  {
    name: 'etcd3',
    pid: v3Member.members[0]!.pid,
    get: () => e3.get('bench/key').string(),
    set: async (i) => await e3.put('bench/put').value(`${value}${i}`),
  },
  {
    name: 'etcd() v2 HTTP',
    pid: v2Member.members[0]!.pid,
    get: async () => (await v2.get('/bench/key')).value,
    set: (i) => v2.set('/bench/put', `${value}${i}`),
  },
];

for (const side of sides) {
  if ((await side.get()) !== value) throw new Error(`${side.name} did not read the value back`);
  // Warm up: connections, JIT, both in flight counts.
  for (let i = 0; i < 300; i++) await side.get();
  await Promise.all(Array.from({ length: 64 }, () => side.get()));
  for (let i = 0; i < 100; i++) await side.set(i);
}

// CPU time (user + system) an etcd process has used so far, in µs, from /proc (Linux), or NaN.
const clockTicks = 100;
function serverCpu(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / clockTicks) * 1e6;
  } catch {
    return Number.NaN;
  }
}

async function run(call: (i: number) => Promise<unknown>, concurrency: number, pid: number) {
  let next = 0;
  const server = serverCpu(pid);
  const cpu = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ops) await call(next++);
    }),
  );
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { rate: (ops / ms) * 1000, cpu: used.user + used.system, server: serverCpu(pid) - server };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

interface Row {
  best: number;
  median: number;
  cpu: number;
  server: number;
}
const results = new Map<string, Row>(); // `${side}|${op}|${inFlight}`
for (const op of ['get', 'set'] as const) {
  for (const concurrency of inFlight) {
    const rates = new Map<Side, number[]>();
    const cpu = new Map<Side, number>();
    const server = new Map<Side, number>();
    // Rounds alternate between the sides (and which goes first) so drift hits all of them.
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 ? [...sides].reverse() : sides;
      for (const side of order) {
        const r = await run(op === 'get' ? () => side.get() : (i) => side.set(i), concurrency, side.pid);
        rates.set(side, [...(rates.get(side) ?? []), r.rate]);
        cpu.set(side, (cpu.get(side) ?? 0) + r.cpu);
        server.set(side, (server.get(side) ?? 0) + r.server);
      }
    }
    for (const side of sides) {
      const list = rates.get(side)!;
      results.set(`${side.name}|${op}|${concurrency}`, {
        best: Math.max(...list),
        median: median(list),
        cpu: cpu.get(side)! / (ops * rounds),
        server: server.get(side)! / (ops * rounds),
      });
    }
  }
}
e3.close();

// 10,000 watchers of one key on ONE fresh etcdV3 client, each iterating `client.watch(key)`.
const metric = async (name: string) => {
  const text = await (await fetch(`${v3Member.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : Number.NaN;
};
const serverWatchersBefore = await metric('etcd_debugging_mvcc_watcher_total');
const serverStreamsBefore = await metric('etcd_debugging_mvcc_watch_stream_total');
const sessionsBefore = wire.sessions;
const streamsBefore = new Map(wire.streams);
const heapBefore = await settledHeap();
const watcherClient: Client = etcdV3(v3Member.url);
const stop = new AbortController();
const watches = Array.from({ length: watcherCount }, () =>
  watcherClient.watch('/bench/watched', { signal: stop.signal })[Symbol.asyncIterator](),
);
let pending = watches.map((w) => w.next());
await sleep(1000); // the shared wait reaches etcd and its watcher is created
const heapWatching = await settledHeap();
const perWatcher = (heapWatching - heapBefore) / watcherCount;
const serverWatchers = (await metric('etcd_debugging_mvcc_watcher_total')) - serverWatchersBefore;
const serverStreams = (await metric('etcd_debugging_mvcc_watch_stream_total')) - serverStreamsBefore;
const sessionsUsed = wire.sessions - sessionsBefore;
const streamsUsed = [...wire.streams]
  .map(([path, n]) => [path, n - (streamsBefore.get(path) ?? 0)] as const)
  .filter(([, n]) => n > 0);

// Write → event: another client writes; time to the first and to the last of the watchers resolving.
const first: number[] = [];
const all: number[] = [];
for (let i = 0; i < events; i++) {
  const start = performance.now();
  let firstAt = 0;
  const write = v3.set('/bench/watched', `e${i}`);
  const settled = pending.map((p) =>
    p.then((r) => {
      firstAt ||= performance.now();
      if (r.done || !(r.value.node instanceof Value) || r.value.node.value !== `e${i}`)
        throw new Error(`a watcher saw ${JSON.stringify(r)}`);
    }),
  );
  await Promise.all([write, ...settled]);
  all.push(performance.now() - start);
  first.push(firstAt - start);
  pending = watches.map((w) => w.next());
  await sleep(200);
}
const heapAfter = await settledHeap();
stop.abort();
await Promise.allSettled(pending);
await watcherClient.close();

// Report.
const kib = (bytes: number) => `${(bytes / 1024).toFixed(2)} KiB`;
console.log(
  `etcdV3 (@etc/transport-v3) vs the etcd3 npm client (1.1.2, grpc-js) on the same etcd (--enable-v2=false), ` +
    `and vs etcd() on an etcd with v2; ${ops} calls x ${rounds} alternating rounds per row; ` +
    `client CPU = process.cpuUsage() (user + system) over all rounds of the side / calls; ` +
    `etcd CPU = the etcd process's user + system time from /proc over the same rounds / calls. ` +
    `Load average (1/5/15 min): ${loadAtStart} at start, ${load()} at end.\n`,
);
console.log(
  '| op | in flight | etcdV3 ops/s best (median) | etcd3 ops/s best (median) | etcd() v2 ops/s best (median) | ' +
    'client CPU µs/call etcdV3 / etcd3 / v2 | etcd CPU µs/call etcdV3 / etcd3 / v2 | ' +
    'etcdV3 ÷ etcd3 ops, best (median) | etcd3 ÷ etcdV3 client CPU | etcdV3 ÷ v2 ops, best (median) |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const op of ['get', 'set'] as const) {
  for (const concurrency of inFlight) {
    const [a, b, c] = sides.map((s) => results.get(`${s.name}|${op}|${concurrency}`)!) as [Row, Row, Row];
    const rate = (r: Row) => `${r.best.toFixed(0)} (${r.median.toFixed(0)})`;
    console.log(
      `| ${op} | ${concurrency} | ${rate(a)} | ${rate(b)} | ${rate(c)} | ` +
        `${a.cpu.toFixed(0)} / ${b.cpu.toFixed(0)} / ${c.cpu.toFixed(0)} | ` +
        `${a.server.toFixed(0)} / ${b.server.toFixed(0)} / ${c.server.toFixed(0)} | ` +
        `${(a.best / b.best).toFixed(2)} (${(a.median / b.median).toFixed(2)}) | ${(b.cpu / a.cpu).toFixed(2)} | ` +
        `${(a.best / c.best).toFixed(2)} (${(a.median / c.median).toFixed(2)}) |`,
    );
  }
}
console.log(`\n${watcherCount.toLocaleString('en')} watchers of one key on one etcdV3 client:\n`);
console.log('| measure | value |\n|---|---|');
console.log(`| heap per watcher (after gc, watching) | ${kib(perWatcher)} |`);
console.log(
  `| heap per watcher after ${events} events (after gc) | ${kib((heapAfter - heapBefore) / watcherCount)} |`,
);
console.log(`| HTTP/2 connections opened by the client | ${sessionsUsed} |`);
console.log(
  `| HTTP/2 streams opened by the client | ${streamsUsed.map(([p, n]) => `${n} ${p}`).join(', ') || 'none'} |`,
);
console.log(`| etcd: watch streams / watchers added | ${serverStreams} / ${serverWatchers} |`);
console.log(
  `| write → event, median of ${events}: first watcher / all ${watcherCount.toLocaleString('en')} | ` +
    `${median(first).toFixed(1)} ms / ${median(all).toFixed(1)} ms |`,
);

await Promise.all([v3.close(), v2.close()]);
await Promise.all([v3Member.stop(), v2Member.stop()]);

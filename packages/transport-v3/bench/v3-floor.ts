/**
 * The floor under `etcdV3`'s gets and sets: bare v3 calls on this package's own `GrpcConnection`
 * (no v2 emulation, no layers) against a fresh etcd started with `--enable-v2=false`, at 1 and 64
 * calls in flight. For each shape of call: calls per second, client CPU per call
 * (`process.cpuUsage()`) and etcd's CPU per call (from `/proc`, Linux). Shapes alternate within each
 * round; best rate and lowest CPU of the rounds are printed as a markdown table.
 *
 *   pnpm --filter @etc/transport-v3 bench:floor     (FLOOR_CALLS, default 2000; FLOOR_ROUNDS, 3)
 *
 * The sets show what etcd spends on each part of the transaction a v2 `set` is (a plain put is what
 * the etcd3 npm client sends); the ranges show the round trip a get cannot go below.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { startEtcd } from '@etc/etcd-launcher';
import { GrpcConnection } from '../src/grpc/connection.js';
import {
  type Compare,
  CompareResult,
  CompareTarget,
  decodeRange,
  decodeTxn,
  encodePut,
  encodeRange,
  encodeTxn,
  type RequestOp,
  type TxnRequest,
} from '../src/proto/messages.js';

const CALLS = Number(process.env.FLOOR_CALLS ?? 2000);
const ROUNDS = Number(process.env.FLOOR_ROUNDS ?? 3);
const member = await startEtcd({ name: 'v3-floor', v2: false });
const pid = member.members[0]?.pid ?? 0;
const conn = new GrpcConnection(member.url, undefined);
const value = 'x'.repeat(64);
const P = '/etc-v2';
const fileKey = `${P}/bench/put`;

const absent = (key: string): Compare => ({
  key,
  target: CompareTarget.CREATE,
  result: CompareResult.EQUAL,
  createRevision: 0,
});
const present = (key: string): Compare => ({
  key,
  target: CompareTarget.CREATE,
  result: CompareResult.GREATER,
  createRevision: 0,
});
const leaseless = (key: string): Compare => ({
  key,
  target: CompareTarget.LEASE,
  result: CompareResult.EQUAL,
  lease: 0,
});
const put = (key: string, v: string, prevKv = false): RequestOp => ({ put: { key, value: v, prevKv } });
const range = (key: string, rangeEnd?: string): RequestOp => ({ range: { key, rangeEnd } });
const record = (): RequestOp => put(`${P}//event`, JSON.stringify({ action: 'set', key: '/bench/put' }));
/** What a v2 `set` of /bench/put checks: /bench a directory without lease, /bench/put not one. */
const parents = [
  absent(`${P}/bench`),
  present(`${P}/bench/`),
  leaseless(`${P}/bench/`),
  absent(`${fileKey}/`),
];

async function txn(r: TxnRequest) {
  const answer = await conn.unary('/etcdserverpb.KV/Txn', encodeTxn(r), decodeTxn);
  if (!answer.succeeded) throw new Error('the compares failed');
  return answer;
}

const getBody = encodeRange({ key: `${P}/bench/key` });
const getTxn = encodeTxn({
  compare: [],
  success: [range(`${P}/bench/key`), range(`${P}/bench/key/`), range(`${P}/bench/key/\0`, `${P}/bench/key0`)],
  failure: [],
});

const shapes: Record<string, (i: number) => Promise<unknown>> = {
  'get: Range of one key (what etcd3 sends)': () =>
    conn.unary('/etcdserverpb.KV/Range', getBody, decodeRange),
  'get: Txn of 3 ranges (what etcdV3 sends)': () => conn.unary('/etcdserverpb.KV/Txn', getTxn, decodeTxn),
  'set: Put (what etcd3 sends)': (i) =>
    conn.unary('/etcdserverpb.KV/Put', encodePut({ key: fileKey, value: value + i }), (b) => b),
  'set: Txn of one put': (i) => txn({ compare: [], success: [put(fileKey, value + i)], failure: [] }),
  'set: Txn of one put and the action record': (i) =>
    txn({ compare: [], success: [put(fileKey, value + i), record()], failure: [] }),
  'set: Txn of 4 compares, put, record': (i) =>
    txn({ compare: parents, success: [put(fileKey, value + i), record()], failure: [] }),
  "set: etcdV3's (4 compares, nested put, record, read as failure branch)": (i) =>
    txn({
      compare: parents,
      success: [
        {
          txn: {
            compare: [absent(fileKey)],
            success: [put(fileKey, value + i)],
            failure: [put(fileKey, `\0etc\0{"created":0}\0${value}${i}`, true)],
          },
        },
        record(),
      ],
      failure: [range(`${P}/bench`), range(`${P}/bench/`), range(fileKey), range(`${fileKey}/`)],
    }),
};

function serverCpu(): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) / 100) * 1e6;
}

async function run(call: (i: number) => Promise<unknown>, concurrency: number) {
  let next = 0;
  const server = serverCpu();
  const cpu = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < CALLS) await call(next++);
    }),
  );
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return {
    rate: (CALLS / ms) * 1000,
    client: (used.user + used.system) / CALLS,
    server: (serverCpu() - server) / CALLS,
  };
}

const load = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(' / ');
await txn({ compare: [], success: [put(`${P}/bench/`, ''), put(`${P}/bench/key`, value)], failure: [] });
for (const call of Object.values(shapes)) for (let i = 0; i < 300; i++) await call(i);
const loadAtStart = load();
const rows: string[] = [];
for (const concurrency of [1, 64]) {
  const best = new Map<string, { rate: number; client: number; server: number }>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, call] of Object.entries(shapes)) {
      const r = await run(call, concurrency);
      const b = best.get(name);
      best.set(name, {
        rate: Math.max(b?.rate ?? 0, r.rate),
        client: Math.min(b?.client ?? Number.POSITIVE_INFINITY, r.client),
        server: Math.min(b?.server ?? Number.POSITIVE_INFINITY, r.server),
      });
    }
  }
  for (const [name, r] of best) {
    rows.push(
      `| ${name} | ${concurrency} | ${r.rate.toFixed(0)} | ${r.client.toFixed(0)} | ${r.server.toFixed(0)} |`,
    );
  }
}
console.log(
  `Bare v3 calls on one GrpcConnection, ${CALLS} calls per round, ${ROUNDS} alternating rounds (best rate, lowest CPU). Load average: ${loadAtStart} at start, ${load()} at end.\n`,
);
console.log('| call | in flight | calls/s | client CPU µs/call | etcd CPU µs/call |\n|---|---|---|---|---|');
for (const row of rows) console.log(row);
conn.close();
await member.stop();

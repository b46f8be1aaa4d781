// etc side by side with the clients a user would pick instead, against the same etcd in one run:
// node-etcd 7 (with and without a keep-alive agent), Node's fetch, and a bare undici Pool. Prints a
// markdown table; figures vary between runs (the client and etcd share the machine).
//
//   pnpm bench:peers                       PEERS_OPS (default 1000), PEERS_ROUNDS (3),
//   ETCD_URL=http://127.0.0.1:2379 ...     PEERS_KEYS (10000), PEERS_WAITS (20)
import { setTimeout as sleep } from 'node:timers/promises';
import { etcd } from '@etc/client';
import { startEtcd } from '@etc/etcd-launcher';
import { Pool } from 'undici';
import { etcPeer, fetchPeer, nodeEtcdPeer, type Peer, undiciPeer } from './peers.js';

const ops = Number(process.env.PEERS_OPS ?? 1000);
const rounds = Number(process.env.PEERS_ROUNDS ?? 3);
const keys = Number(process.env.PEERS_KEYS ?? 10_000);
const waits = Number(process.env.PEERS_WAITS ?? 20);
const inFlight = [1, 64] as const;

const external = process.env.ETCD_URL;
const cluster = external ? undefined : await startEtcd();
const url = external ?? cluster!.url;
const prefix = `/bench-peers-${process.pid}`;
const key = `${prefix}/key`;
const tree = `${prefix}/tree`;

// The writer (seeding, and the writes the waits see) is a plain undici pool, shared by no peer.
const writer = new Pool(url, { connections: 16 });
const put = async (path: string, value: string): Promise<number> => {
  const response = await writer.request({
    method: 'PUT',
    path: `/v2/keys${path}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `value=${encodeURIComponent(value)}`,
  });
  const body = JSON.parse(await response.body.text()) as { node?: { modifiedIndex?: number } };
  if (response.statusCode >= 300 || !body.node?.modifiedIndex) throw new Error(`PUT ${path} failed`);
  return body.node.modifiedIndex;
};

await put(key, 'value');
// 100 directories of 100 keys: the recursive read walks two levels.
const perDir = Math.min(100, keys);
let seeded = 0;
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (seeded < keys) {
      const i = seeded++;
      await put(`${tree}/d${Math.floor(i / perDir)}/k${i % perDir}`, `v${i}`);
    }
  }),
);

const sockets = 64;
const client = etcd(url, { connections: sockets });
const peers: Peer[] = [
  etcPeer(client),
  nodeEtcdPeer(url, true, sockets),
  nodeEtcdPeer(url, false, sockets),
  fetchPeer(url),
  undiciPeer(url, sockets),
];

// Every peer reads the same thing before anything is measured.
for (const peer of peers) {
  const value = await peer.get(key);
  const count = await peer.list(tree);
  if (value !== 'value' || count !== keys) {
    throw new Error(
      `${peer.name} read ${JSON.stringify(value)} and ${count} values, not "value" and ${keys}`,
    );
  }
  for (let i = 0; i < 100; i++) await peer.get(key); // warm up: connections, JIT
}

interface Rate {
  best: number;
  cpuMicrosPerCall: number;
}

async function gets(peer: Peer, concurrency: number, count: number): Promise<{ rate: number; cpu: number }> {
  let next = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        await peer.get(key);
      }
    }),
  );
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { rate: (count / ms) * 1000, cpu: used.user + used.system };
}

// Rounds alternate between peers so that drift of a shared machine hits all of them.
const rates = new Map<string, Rate>();
for (const concurrency of inFlight) {
  const totals = new Map<Peer, { best: number; cpu: number; calls: number }>();
  for (let round = 0; round < rounds; round++) {
    for (const peer of peers) {
      const result = await gets(peer, concurrency, ops);
      const total = totals.get(peer) ?? { best: 0, cpu: 0, calls: 0 };
      totals.set(peer, {
        best: Math.max(total.best, result.rate),
        cpu: total.cpu + result.cpu,
        calls: total.calls + ops,
      });
    }
  }
  for (const [peer, total] of totals) {
    rates.set(`${peer.name}@${concurrency}`, { best: total.best, cpuMicrosPerCall: total.cpu / total.calls });
  }
}

// The recursive read: best of `rounds` reads of the whole tree, parsed (etc: decoded into nodes).
const listMs = new Map<Peer, number>();
for (let round = 0; round < rounds; round++) {
  for (const peer of peers) {
    const start = performance.now();
    const count = await peer.list(tree);
    const ms = performance.now() - start;
    if (count !== keys) throw new Error(`${peer.name} listed ${count} values`);
    listMs.set(peer, Math.min(listMs.get(peer) ?? Number.POSITIVE_INFINITY, ms));
  }
}

// Watch latency: a long poll for the next index is in place (after a pause), then the writer
// writes; the time from starting the write to the peer resolving with the event.
const latency = new Map<Peer, number[]>();
for (let i = 0; i < waits; i++) {
  for (const peer of peers) {
    const index = (await put(key, `w${i}`)) + 1;
    const event = peer.wait(key, index);
    await sleep(20);
    const start = performance.now();
    const written = await Promise.all([put(key, `x${i}`), event.then(() => performance.now())]);
    if ((await event) !== written[0])
      throw new Error(`${peer.name} saw index ${await event}, not ${written[0]}`);
    const list = latency.get(peer) ?? [];
    list.push(written[1] - start);
    latency.set(peer, list);
  }
}
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

const etcRate = (concurrency: number) => rates.get(`etc@${concurrency}`)!;
console.log(
  `etc and its peers against one etcd (${url.startsWith('http://127.') ? 'loopback' : url}), ` +
    `${ops} gets x ${rounds} rounds per row (best round; CPU over all rounds), ${keys} keys, ${waits} waits\n`,
);
console.log(
  '| client | gets/s, 1 in flight | CPU µs/get | gets/s, 64 in flight | CPU µs/get | vs etc at 64 | ' +
    `${keys.toLocaleString('en')}-key recursive read | write → event (median) |`,
);
console.log('|---|---|---|---|---|---|---|---|');
for (const peer of peers) {
  const one = rates.get(`${peer.name}@1`)!;
  const many = rates.get(`${peer.name}@64`)!;
  console.log(
    `| ${peer.name} | ${one.best.toFixed(0)} | ${one.cpuMicrosPerCall.toFixed(0)} | ${many.best.toFixed(0)} | ` +
      `${many.cpuMicrosPerCall.toFixed(0)} | ${(many.best / etcRate(64).best).toFixed(2)} | ` +
      `${listMs.get(peer)!.toFixed(0)} ms | ${median(latency.get(peer)!).toFixed(1)} ms |`,
  );
}

await client.delete(prefix, { recursive: true });
await Promise.all([...peers.map((peer) => peer.close()), writer.close()]);
await cluster?.stop();

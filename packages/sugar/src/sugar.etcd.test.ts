/**
 * The real-etcd suite of @etc/sugar, run unchanged on each client factory: `etcd()` (the v2 HTTP
 * API, on etcd started with v2) and `etcdV3()` of @etc/transport-v3 (the v2 keys API emulated over
 * etcd's v3 gRPC API, on etcd started without v2, as etcd 3.6+ runs).
 */
import { randomBytes } from 'node:crypto';
import { type Client, etcd } from '@etc/client';
import { type EtcdCluster, startEtcd } from '@etc/etcd-launcher';
import { etcdV3 } from '@etc/transport-v3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { campaign } from './campaign.js';
import type { KeepEvent } from './keep-event.js';
import { keepNode } from './keep-node.js';
import { lock } from './lock.js';
import { observeLeader } from './observe-leader.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const prefix = () => `/etc-sugar-test/${randomBytes(6).toString('hex')}`;

/** Resolves once `dir` holds at least `count` keys (so candidates queue in a known order). */
async function queued(client: Client, dir: string, count: number): Promise<void> {
  for (;;) {
    const keys = await client.get(dir).then(
      (got) => got.nodes?.length ?? 0,
      () => 0,
    );
    if (keys >= count) return;
    await sleep(20);
  }
}

/** A half-open interval [from, to) during which one contender held leadership or a lock, by this process's clock. */
interface Tenure {
  who: number;
  from: number;
  to: number;
}

/** Fails with the first two tenures that overlap in time. */
function expectNoOverlap(tenures: Tenure[]): void {
  const sorted = [...tenures].sort((a, b) => a.from - b.from);
  for (let i = 1; i < sorted.length; i++) {
    const before = sorted[i - 1] as Tenure;
    const after = sorted[i] as Tenure;
    if (before.to > after.from)
      expect.fail(`overlap: ${JSON.stringify(before)} and ${JSON.stringify(after)}`);
  }
}

/** Runs `count` contenders that take `acquire` in turn until `until` aborts; returns their tenures. */
async function contend(
  clients: Client[],
  until: AbortSignal,
  acquire: (client: Client, who: number) => Promise<{ signal: AbortSignal; giveUp: () => Promise<void> }>,
): Promise<Tenure[]> {
  const tenures: Tenure[] = [];
  await Promise.all(
    clients.map(async (client, who) => {
      while (!until.aborted) {
        let held: { signal: AbortSignal; giveUp: () => Promise<void> };
        try {
          held = await acquire(client, who);
        } catch (error) {
          if (until.aborted) return;
          throw error;
        }
        const from = Date.now();
        let to = Number.POSITIVE_INFINITY;
        held.signal.addEventListener('abort', () => {
          to = Date.now();
        });
        await Promise.race([
          sleep(50 + Math.random() * 200),
          new Promise((r) => held.signal.addEventListener('abort', r)),
        ]);
        await held.giveUp();
        tenures.push({ who, from, to });
      }
    }),
  );
  return tenures;
}

/** A client factory of the suite, and the etcd it needs. */
interface Backend {
  /** How the suite names it. */
  name: string;
  /** Makes a client, as users call the factory. */
  client: (endpoints: string | string[], options?: { timeout?: number }) => Client;
  /** Whether its etcd serves the v2 API (`etcd()`), or only v3 (`etcdV3()`, as etcd 3.6+). */
  v2: boolean;
}

const backends: Backend[] = [
  { name: 'etcd() on etcd with the v2 API', client: etcd, v2: true },
  { name: 'etcdV3() on etcd without the v2 API', client: etcdV3, v2: false },
];

/** The suite, on one client factory. */
function sugarSuite(backend: Backend): void {
  const make = backend.client;
  describe(`sugar on a real etcd: ${backend.name}`, () => {
    let single: EtcdCluster | undefined;
    /** The shared etcd of the test run serves v2; a v3-only one is started for this suite. */
    let url = '';

    beforeAll(async () => {
      if (backend.v2) {
        url = inject('etcdUrl');
        return;
      }
      single = await startEtcd({ binary: inject('etcdBin') || undefined, name: 'sugar-v3', v2: false });
      url = single.url;
    }, 60_000);

    afterAll(async () => {
      await single?.stop();
    }, 30_000);

    it('keepNode keeps a node past its TTL without waking watchers, and stop deletes it', async () => {
      const client = make(url);
      const key = `${prefix()}/node`;
      try {
        const kept = keepNode(client, key, 'here', { ttl: 2 });
        const created = await kept.ready;
        let woken = false;
        const waiting = client.wait(key, { timeout: 10_000 }).then(() => {
          woken = true;
        });
        await sleep(3_000);
        const now = await client.get(key);
        expect(now.createdIndex).toBe(created.createdIndex);
        expect(woken).toBe(false);
        await kept.stop();
        await waiting;
        expect(woken).toBe(true);
        await expect(client.get(key)).rejects.toMatchObject({ errorCode: 100 });
      } finally {
        await client.close();
      }
    }, 30_000);

    it('campaign hands over in order and observeLeader follows it', async () => {
      const clients = [make(url), make(url), make(url), make(url)];
      const dir = `${prefix()}/election`;
      try {
        const seen: (string | undefined)[] = [];
        const stop = new AbortController();
        /** Resolvers waiting for `seen` to reach a length. */
        const waiters = new Map<number, () => void>();
        const seenCount = (count: number) =>
          seen.length >= count
            ? Promise.resolve()
            : new Promise<void>((resolve) => waiters.set(count, resolve));
        const observing = (async () => {
          for await (const leader of observeLeader(clients[3] as Client, dir, { signal: stop.signal })) {
            seen.push(leader);
            waiters.get(seen.length)?.();
          }
        })();
        await seenCount(1);
        const a = await campaign(clients[0] as Client, dir, 'a', { ttl: 3 });
        const b = campaign(clients[1] as Client, dir, 'b', { ttl: 3 });
        await queued(clients[3] as Client, dir, 2);
        const c = campaign(clients[2] as Client, dir, 'c', { ttl: 3 });
        await queued(clients[3] as Client, dir, 3);
        await a.resign();
        const bLeads = await b;
        expect(a.signal.aborted).toBe(true);
        await bLeads.resign();
        await (await c).resign();
        // The observer has seen the last leader go.
        await seenCount(5);
        stop.abort();
        await observing;
        expect(seen).toEqual([undefined, 'a', 'b', 'c', undefined]);
      } finally {
        await Promise.all(clients.map((client) => client.close()));
      }
    }, 30_000);

    it('lock is exclusive: a second taker queues until the holder releases', async () => {
      const clients = [make(url), make(url)];
      const dir = `${prefix()}/lock`;
      try {
        const held = await lock(clients[0] as Client, dir, { ttl: 3, value: 'first' });
        let second = false;
        const next = lock(clients[1] as Client, dir, { ttl: 3, value: 'second' }).then((h) => {
          second = true;
          return h;
        });
        // The second taker has queued its key behind the holder's, and waits.
        await queued(clients[0] as Client, dir, 2);
        expect(second).toBe(false);
        expect(held.signal.aborted).toBe(false);
        await held.release();
        expect(held.signal.aborted).toBe(true);
        const taken = await next;
        expect(second).toBe(true);
        expect(taken.createdIndex).toBeGreaterThan(held.createdIndex);
        await taken.release();
        // Both keys are gone.
        expect((await (clients[0] as Client).get(dir)).nodes ?? []).toEqual([]);
      } finally {
        await Promise.all(clients.map((client) => client.close()));
      }
    }, 30_000);

    it('a holder that stops refreshing (its client gone, as in a crash) keeps the lock until its key expires; then the next taker gets it', async () => {
      const crashed = make(url);
      const next = make(url);
      const dir = `${prefix()}/lock`;
      try {
        const held = await lock(crashed, dir, { ttl: 2, value: 'crashed' });
        const waiting = lock(next, dir, { ttl: 2, value: 'next' });
        await queued(next, dir, 2);
        await crashed.close();
        // Nobody deletes the crashed holder's key: the waiter is woken by its expiry.
        const taken = await waiting;
        expect(taken.value).toBe('next');
        expect(taken.createdIndex).toBeGreaterThan(held.createdIndex);
        await expect(next.get(held.key)).rejects.toMatchObject({ errorCode: 100 });
        await taken.release();
      } finally {
        await Promise.all([crashed.close(), next.close()]);
      }
    }, 30_000);

    it('a leader whose key someone else deletes loses leadership at once (gone), and the next candidate leads', async () => {
      const clients = [make(url), make(url), make(url)];
      const [first, second, admin] = clients as [Client, Client, Client];
      const dir = `${prefix()}/election`;
      try {
        const a = await campaign(first, dir, 'a', { ttl: 5 });
        const b = campaign(second, dir, 'b', { ttl: 5 });
        await queued(admin, dir, 2);
        const lost = new Promise<unknown>((resolve) =>
          a.signal.addEventListener('abort', () => resolve(a.signal.reason)),
        );
        await admin.delete(a.key);
        expect(await lost).toMatchObject({ reason: 'gone', key: a.key });
        const bLeads = await b;
        expect(bLeads.held).toBe(true);
        expect(bLeads.value).toBe('b');
        await bLeads.resign();
        await a.resign();
      } finally {
        await Promise.all(clients.map((client) => client.close()));
      }
    }, 30_000);

    it('keepNode recreates a node someone deleted, and gives up one someone replaced', async () => {
      const client = make(url);
      const admin = make(url);
      const key = `${prefix()}/node`;
      try {
        const kept = keepNode(client, key, 'mine', { ttl: 2, interval: 200 });
        const events = kept[Symbol.asyncIterator]();
        const next = async (type: KeepEvent['type']): Promise<KeepEvent> => {
          for (;;) {
            const { value, done } = await events.next();
            if (done) throw new Error(`the keeper ended before a ${type} event`);
            if (value.type === type) return value;
          }
        };
        const first = await kept.ready;
        await admin.delete(key);
        await next('recreated');
        const again = await admin.get(key);
        expect(again.value).toBe('mine');
        expect(again.createdIndex).toBeGreaterThan(first.createdIndex as number);
        await admin.set(key, 'theirs');
        expect(await next('lost')).toMatchObject({ reason: 'taken' });
        await kept.stop();
        // It leaves the node someone else wrote alone.
        expect((await admin.get(key)).value).toBe('theirs');
      } finally {
        await Promise.all([client.close(), admin.close()]);
      }
    }, 30_000);
  });

  describe(`sugar on a 3-member cluster with the raft leader killed mid-run: ${backend.name}`, () => {
    let cluster: EtcdCluster | undefined;

    beforeAll(async () => {
      const binary = inject('etcdBin');
      cluster = await startEtcd({ members: 3, v2: backend.v2, ...(binary ? { binary } : {}) });
    }, 60_000);

    afterAll(async () => {
      await cluster?.stop();
    }, 30_000);

    it('never lets two candidates lead, nor two holders hold the lock, at once', async () => {
      const urls = cluster?.clientUrls ?? [];
      // Every contender gets all endpoints, each starting on a different member.
      const clients = Array.from({ length: 5 }, (_, i) =>
        make([...urls.slice(i % 3), ...urls.slice(0, i % 3)], { timeout: 2_000 }),
      );
      const base = prefix();
      const until = new AbortController();
      try {
        const leading = contend(clients, until.signal, async (client, who) => {
          const leadership = await campaign(client, `${base}/election`, `candidate-${who}`, {
            ttl: 2,
            signal: until.signal,
          });
          return { signal: leadership.signal, giveUp: () => leadership.resign() };
        });
        const locking = contend(clients, until.signal, async (client, who) => {
          const held = await lock(client, `${base}/lock`, {
            ttl: 2,
            value: `holder-${who}`,
            signal: until.signal,
          });
          return { signal: held.signal, giveUp: () => held.release() };
        });
        await sleep(2_000);
        const leader = await (cluster as EtcdCluster).leader();
        const killedAt = Date.now();
        await leader.kill('SIGKILL');
        await sleep(6_000);
        until.abort();
        const [elections, locks] = await Promise.all([leading, locking]);
        if (process.env.SUGAR_DEBUG) console.log({ killedAt, elections, locks });
        expectNoOverlap(elections);
        expectNoOverlap(locks);
        expect(elections.filter((t) => t.from < killedAt).length).toBeGreaterThan(0);
        expect(elections.filter((t) => t.from > killedAt).length).toBeGreaterThan(0);
        expect(locks.filter((t) => t.from > killedAt).length).toBeGreaterThan(0);
      } finally {
        until.abort();
        await Promise.all(clients.map((client) => client.close()));
      }
    }, 60_000);
  });
}

for (const backend of backends) sugarSuite(backend);

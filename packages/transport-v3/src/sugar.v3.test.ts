import type { Client } from '@etc/client';
import { type EtcdCluster, startEtcd } from '@etc/etcd-launcher';
import { campaign, keepNode, lock, observeLeader } from '@etc/sugar';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { etcdV3 } from './etcd-v3.js';

// @etc/sugar runs unchanged on an etcdV3() client, on an etcd without the v2 API.
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let cluster: EtcdCluster;

beforeAll(async () => {
  cluster = await startEtcd({ binary: inject('etcdBin') || undefined, name: 'v3-sugar', v2: false });
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

describe('@etc/sugar on etcdV3()', () => {
  it('keepNode keeps a node past its TTL without waking watchers, and stop deletes it', async () => {
    const client = etcdV3(cluster.url);
    try {
      const kept = keepNode(client, '/sugar/node', 'here', { ttl: 2 });
      const created = await kept.ready;
      let woken = false;
      const waiting = client.wait('/sugar/node', { timeout: 10_000 }).then(() => {
        woken = true;
      });
      await sleep(3_000);
      const now = await client.get('/sugar/node');
      expect(now.createdIndex).toBe(created.createdIndex);
      expect(woken).toBe(false);
      await kept.stop();
      await waiting;
      expect(woken).toBe(true);
      await expect(client.get('/sugar/node')).rejects.toMatchObject({ errorCode: 100 });
    } finally {
      await client.close();
    }
  }, 30_000);

  it('campaign hands over in order, observeLeader follows it, and lock is exclusive', async () => {
    const clients: Client[] = [0, 1, 2, 3].map(() => etcdV3(cluster.url));
    const [c0, c1, c2, c3] = clients as [Client, Client, Client, Client];
    try {
      const seen: (string | undefined)[] = [];
      const stop = new AbortController();
      let first: () => void = () => {};
      const started = new Promise<void>((resolve) => {
        first = resolve;
      });
      const observing = (async () => {
        for await (const leader of observeLeader(c3, '/sugar/election', { signal: stop.signal })) {
          seen.push(leader);
          first();
        }
      })();
      await started;
      const a = await campaign(c0, '/sugar/election', 'a', { ttl: 3 });
      const b = campaign(c1, '/sugar/election', 'b', { ttl: 3 });
      await sleep(200);
      const c = campaign(c2, '/sugar/election', 'c', { ttl: 3 });
      await sleep(200);
      await a.resign();
      const bLeads = await b;
      expect(a.signal.aborted).toBe(true);
      await bLeads.resign();
      await (await c).resign();
      await sleep(300);
      stop.abort();
      await observing;
      expect(seen).toEqual([undefined, 'a', 'b', 'c', undefined]);

      const held = await lock(c0, '/sugar/lock', { ttl: 3 });
      let second = false;
      const next = lock(c1, '/sugar/lock', { ttl: 3 }).then((h) => {
        second = true;
        return h;
      });
      await sleep(300);
      expect(second).toBe(false);
      await held.release();
      await (await next).release();
      expect(second).toBe(true);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  }, 30_000);
});

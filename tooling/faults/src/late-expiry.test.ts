/**
 * Late expiry on a real etcd: etcd removes expired keys in a sweep that the leader proposes every
 * 500 ms. A member that is paused (here with SIGSTOP) sweeps late, and meanwhile answers with the
 * overdue key still there and a negative `ttl`. Reads, writes, waits and watches must take that
 * answer (a negative `ttl` is etcd's, not garbage), never reject it as `InvalidResponse`.
 *
 * The member is a dedicated one, so pausing it leaves the shared etcd of the test run alone.
 */
import { type Client, Expired, etcd, Got, InvalidResponse, KeyNotFound, SetResult } from '@etc/client';
import { type EtcdCluster, startEtcd } from '@etc/etcd-launcher';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Recorder, sleep } from './support.js';

let cluster: EtcdCluster;
let client: Client;

beforeAll(async () => {
  cluster = await startEtcd({ name: 'late-expiry', binary: inject('etcdBin') || undefined });
  client = etcd(cluster.url);
});

afterAll(async () => {
  await client?.close();
  await cluster?.stop();
});

/** Pauses the member for `ms` milliseconds while `during()` sends requests to it, then resumes it. */
async function paused(ms: number, during: () => void): Promise<void> {
  const pid = cluster.members[0]?.pid as number;
  process.kill(pid, 'SIGSTOP');
  try {
    await sleep(ms - 100);
    during();
    // The requests reach the paused member's sockets; it reads them once resumed.
    await sleep(100);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

describe('a key whose expiry is overdue (etcd paused past its expiration)', () => {
  it('is seen with a negative ttl by get, set, wait and watch, never as InvalidResponse', async () => {
    // Which of the get and the sweep comes first after the resume is up to etcd's scheduler; the
    // expire event that the wait and the watch receive is late every time. Try a few rounds until
    // the get has also beaten the sweep once (it usually does in the first).
    let getSawOverdue = false;
    for (let round = 0; round < 3 && !getSawOverdue; round++) {
      const key = `/late-expiry/${round}`;
      await client.set(`${key}/set`, 'old', { ttl: 1 });
      const written = await client.set(`${key}/k`, 'v', { ttl: 1 });
      const watch = new Recorder(client, `${key}/k`, { index: (written.index as number) + 1 });
      // Both start after the write, so they get the expire event whenever they reach etcd.
      const wait = client.wait(`${key}/k`, { index: (written.index as number) + 1 });

      let get!: Promise<unknown>;
      let set!: Promise<unknown>;
      await paused(2600, () => {
        get = client.get(`${key}/k`).catch((error: unknown) => error);
        set = client.set(`${key}/set`, 'new').catch((error: unknown) => error);
      });

      const expired = await wait;
      expect(expired.constructor).toBe(Expired);
      expect(expired.prevNode?.ttl).toBeLessThanOrEqual(-1);

      const got = await get;
      expect(got).not.toBeInstanceOf(InvalidResponse);
      if (got instanceof Got) {
        expect(got.ttl).toBeLessThanOrEqual(-1);
        expect(got.value).toBe('v');
        getSawOverdue = true;
      } else {
        expect(got).toBeInstanceOf(KeyNotFound); // the sweep came first this round
      }

      const replaced = await set;
      expect(replaced).not.toBeInstanceOf(InvalidResponse);
      expect(replaced).toBeInstanceOf(SetResult);
      const prevTtl = (replaced as SetResult).prevNode?.ttl;
      // Either the set came before the sweep (prevNode overdue) or after it (no prevNode).
      if (prevTtl !== undefined) expect(prevTtl).toBeLessThanOrEqual(-1);

      while (watch.events.length === 0 && watch.error === undefined) await sleep(20);
      expect(watch.error).toBeUndefined();
      const event = watch.events[0];
      expect(event?.constructor).toBe(Expired);
      expect(event?.prevNode?.ttl).toBeLessThanOrEqual(-1);
    }
    expect(getSawOverdue).toBe(true);
  }, 60_000);
});

/**
 * The fault suite of `@etc/transport-v3` on a real 3-member etcd started without the v2 API: the
 * raft leader and then a follower SIGKILLed under a sequential write load with live watchers,
 * concurrent appenders while a member dies, and a compaction while a watch is cut off from its
 * member. Acknowledged writes must survive, watches must see every acknowledged write once and in
 * order, and the client must write again soon after a kill (the time is printed, and asserted
 * only loosely: the machine running the tests is shared).
 */
import { type Client, type EtcdResult, EtcException, Got, Value } from '@etc/client';
import { type EtcdCluster, type EtcdMember, startEtcd, startProxy } from '@etc/etcd-launcher';
import { etcdV3, V3Adapter } from '@etc/transport-v3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, type KillRun, killUnderLoad, Recorder, sleep } from './support.js';

let cluster: EtcdCluster;
beforeAll(async () => {
  cluster = await startEtcd({
    members: 3,
    name: 'v3-faults',
    v2: false,
    binary: inject('etcdBin') || undefined,
  });
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
}, 30_000);

/**
 * A v3 client over every member, `first` first (so it is the member in use), with the default
 * options: recovery after a leader's death must not depend on tuning.
 */
function clientOn(first: EtcdMember): Client {
  const rest = cluster.members.filter((member) => member !== first).map((member) => member.clientUrl);
  return etcdV3([first.clientUrl, ...rest]);
}

/**
 * `killUnderLoad` from a v3 client on `on` (default: the victim), in round `round`: with the
 * client on the victim it must have moved on; on another member it must have stayed there.
 */
function killV3UnderLoad(round: number, victim: EtcdMember, on: EtcdMember = victim): Promise<KillRun> {
  const client = clientOn(on);
  return killUnderLoad(client, `/v3-cluster-${round}`, victim, () => {
    if (on === victim) expect(client.url).not.toBe(victim.clientUrl);
    else expect(client.url).toBe(on.clientUrl);
  });
}

/** Compacts etcd's history up to `revision` (v3 JSON gateway of the member at `url`). */
async function compact(url: string, revision: number): Promise<void> {
  const answer = await fetch(`${url}/v3/kv/compaction`, {
    method: 'POST',
    body: JSON.stringify({ revision, physical: true }),
  });
  expect(answer.status).toBe(200);
}

/** Polls until the member answers again after a restart and the cluster has a leader. */
async function restarted(member: EtcdMember): Promise<void> {
  await member.restart();
  await cluster.leader(20_000);
}

describe('etcdV3 on a 3-member cluster without v2, losing members', () => {
  it('discovers the members from one of them (MemberList), syncInterval included', async () => {
    const first = cluster.members[1] as EtcdMember;
    const adapter = new V3Adapter({ endpoints: first.clientUrl });
    try {
      expect([...(await adapter.sync())].sort()).toEqual([...cluster.clientUrls].sort());
      expect(adapter.url).toBe(first.clientUrl);
      const background = new V3Adapter({ endpoints: first.clientUrl, syncInterval: 50 });
      await eventually(async () => {
        if (background.endpoints.length !== 3) throw new Error('not synced yet');
      }, 20_000).finally(() => background.close());
    } finally {
      await adapter.close();
    }
  });

  it('loses no acknowledged write and no watch event when the leader, then a follower, then the leader under a client on a follower, is killed mid-workload', async () => {
    const leader = await cluster.leader();
    const onLeader = await killV3UnderLoad(1, leader);
    await restarted(leader);
    const newLeader = await cluster.leader();
    const follower = cluster.members.find((m) => m !== newLeader && m.running) as EtcdMember;
    const onFollower = await killV3UnderLoad(2, follower);
    await restarted(follower);
    // The leader dies under a client (writes and watches) on a follower: an election, no failover.
    const third = await cluster.leader();
    const witness = cluster.members.find((m) => m !== third && m.running) as EtcdMember;
    const underFollower = await killV3UnderLoad(3, third, witness);
    await restarted(third);
    console.log(
      `etcdV3 recovery (kill to first acknowledged write): leader in use ${onLeader.recovery.toFixed(0)} ms (${onLeader.unknown} writes failed), follower in use ${onFollower.recovery.toFixed(0)} ms (${onFollower.unknown} failed), leader under a client on a follower ${underFollower.recovery.toFixed(0)} ms (${underFollower.unknown} failed)`,
    );
    for (const failed of [...onLeader.failures, ...onFollower.failures, ...underFollower.failures])
      console.log(failed);
    // The target is under 5 s; asserted loosely, as the machine is shared with other work.
    expect(onLeader.recovery).toBeLessThan(15_000);
    expect(onFollower.recovery).toBeLessThan(15_000);
    expect(underFollower.recovery).toBeLessThan(15_000);
  }, 150_000);

  it('concurrent appenders keep a strict total order while a member is killed', async () => {
    const leader = await cluster.leader();
    const clients = cluster.members.map((m) => clientOn(m));
    const dir = '/v3-queue';
    const acked: EtcdResult[] = [];
    const uncertain: string[] = [];
    try {
      let killing: Promise<void> | undefined;
      await Promise.all(
        clients.map(async (client, c) => {
          for (let i = 0; i < 20; i++) {
            if (c === 0 && i === 7) killing = leader.kill('SIGKILL');
            const value = `c${c}-${i}`;
            try {
              acked.push(await client.append(dir, value, { timeout: 5_000 }));
            } catch (error) {
              expect(error).toBeInstanceOf(EtcException);
              uncertain.push(value);
              await sleep(25);
            }
          }
        }),
      );
      await killing;
      expect(acked.length).toBeGreaterThan(30);
      const reader = clients[1] as Client;
      const listed = await eventually(
        () => reader.get(dir, { sorted: true, quorum: true, timeout: 3_000 }),
        20_000,
      );
      const nodes = (listed.nodes ?? []).map((n) => {
        if (!(n instanceof Value)) throw new Error(`${n.key} is not a file`);
        return n;
      });
      const keys = nodes.map((n) => n.key);
      // Names unique, and key order is creation order.
      expect(new Set(keys).size).toBe(keys.length);
      const byCreation = [...nodes].sort((a, b) => (a.createdIndex ?? 0) - (b.createdIndex ?? 0));
      expect(byCreation.map((n) => n.key)).toEqual(keys);
      // Every acknowledged append is there, as acknowledged; others at most once; no duplicates.
      const byKey = new Map(nodes.map((n) => [n.key, n]));
      for (const result of acked) {
        expect(byKey.get(result.key)?.value, result.key).toBe(result.value);
        expect(byKey.get(result.key)?.createdIndex).toBe(result.createdIndex);
      }
      const values = nodes.map((n) => n.value);
      expect(new Set(values).size).toBe(values.length);
      const ackedValues = new Set(acked.map((r) => r.value));
      for (const value of values)
        expect(ackedValues.has(value) || uncertain.includes(value as string)).toBe(true);
      // Each client's appends are in its own order too (sequential per client).
      for (let c = 0; c < clients.length; c++) {
        const mine = values.filter((v) => v?.startsWith(`c${c}-`)).map((v) => Number(v?.split('-')[1]));
        expect(mine).toEqual([...mine].sort((a, b) => a - b));
      }
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await restarted(leader);
    }
  }, 90_000);

  it('a live watch goes on across a compaction; cut off while its history is compacted, it yields the snapshot, then further events', async () => {
    const member = (await cluster.leader()).clientUrl;
    const others = cluster.members.filter((m) => m.clientUrl !== member).map((m) => m.clientUrl);
    const proxy = await startProxy('127.0.0.1', Number(new URL(member).port));
    // The watcher reaches the first member through the proxy (keep-alive pings off the path).
    const watcher = etcdV3([proxy.url, ...others], {
      timeout: 8_000,
      attemptTimeout: 3_000,
      keepAlive: 60_000,
    });
    const writer = etcdV3(cluster.clientUrls, { timeout: 8_000 });
    const key = '/v3-compacted/k';
    try {
      const start = await writer.set(key, 'v0');
      const recorder = new Recorder(watcher, key, { index: start.etcdIndex + 1 });
      const v1 = await writer.set(key, 'v1');
      await eventually(async () => {
        if (recorder.events.length < 1) throw new Error('the watch has not seen v1');
      }, 20_000);
      expect(watcher.url).toBe(proxy.url);
      // A compaction of what the watch has already seen changes nothing for it.
      await compact(others[0] as string, v1.etcdIndex);
      await writer.set(key, 'v1b');
      await eventually(async () => {
        if (recorder.events.length < 2) throw new Error('the watch has not seen v1b');
      }, 20_000);
      // Cut off: the watch hears nothing while v2..v4 are written and the history compacted.
      proxy.stall();
      let last: EtcdResult | undefined;
      for (const value of ['v2', 'v3', 'v4']) last = await writer.set(key, value);
      await compact(others[0] as string, last?.etcdIndex as number);
      proxy.resetAll();
      // The watch moves to another member, finds its index compacted and yields the snapshot.
      await eventually(async () => {
        if (!recorder.events.some((e) => e instanceof Got)) throw new Error('no snapshot yet');
      }, 20_000);
      const after = await writer.set(key, 'v5');
      await eventually(async () => {
        if (!recorder.indexes.includes(after.modifiedIndex as number)) throw new Error('no v5 yet');
      }, 20_000);
      expect(recorder.error).toBeUndefined();
      const seen = recorder.events.map((e) => [e.action, e.value]);
      // v1 and v1b live; v2 and v3 lost to the compaction (v4 may come as the snapshot or its own event).
      expect(seen.slice(0, 2)).toEqual([
        ['set', 'v1'],
        ['set', 'v1b'],
      ]);
      const snapshotAt = recorder.events.findIndex((e) => e instanceof Got);
      expect(recorder.events[snapshotAt]?.value).toBe('v4');
      expect(seen.slice(snapshotAt + 1)).toEqual([['set', 'v5']]);
      expect(seen.some(([, value]) => value === 'v2' || value === 'v3')).toBe(false);
    } finally {
      await watcher.close();
      await writer.close();
      await proxy.close();
    }
  }, 60_000);
});

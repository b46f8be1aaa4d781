import { existsSync, readdirSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { describe, expect, inject, it } from 'vitest';
import { isAlive, send } from '../test/http.js';
import { EtcdLaunchError } from './errors.js';
import { httpPostJson } from './http-probe.js';
import { startEtcd } from './launcher.js';
import { poll } from './wait.js';

const binary = inject('etcdBin') || undefined;

describe('startEtcd', () => {
  it('starts a member without the v2 API when v2 is false: /v2 answers 404, the v3 gateway works', async () => {
    const cluster = await startEtcd({ binary, name: 'v3only', v2: false });
    const [member] = cluster.members;
    try {
      expect((await send(`${cluster.url}/v2/keys/`)).status).toBe(404);
      const put = await httpPostJson(`${cluster.url}/v3/kv/put`, { key: 'aw==', value: 'dg==' });
      expect(put.status).toBe(200);
      const range = await httpPostJson(`${cluster.url}/v3/kv/range`, { key: 'aw==' });
      expect(JSON.parse(range.body)).toMatchObject({ kvs: [{ key: 'aw==', value: 'dg==' }] });
      expect(await member?.isLeader()).toBe(true);
    } finally {
      await cluster.stop();
    }
  });

  it('starts a single member that serves v2 PUT and GET, and stop() leaves nothing behind', async () => {
    const cluster = await startEtcd({ binary, name: 'single' });
    const [member] = cluster.members;
    try {
      expect(cluster.members).toHaveLength(1);
      expect(cluster.url).toBe(member?.clientUrl);
      expect(cluster.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(member?.running).toBe(true);
      expect(existsSync(member?.logFile ?? '')).toBe(true);

      const put = await send(`${cluster.url}/v2/keys/launcher/single`, {
        method: 'PUT',
        form: { value: 'bar' },
      });
      expect(put.status).toBe(201);
      const get = await send(`${cluster.url}/v2/keys/launcher/single`);
      expect(get.status).toBe(200);
      expect(JSON.parse(get.body)).toMatchObject({
        action: 'get',
        node: { key: '/launcher/single', value: 'bar' },
      });
      expect(await member?.isLeader()).toBe(true);

      await member?.kill('SIGSTOP');
      expect(member?.running).toBe(true);
      await member?.kill('SIGCONT');
      expect((await send(`${cluster.url}/v2/keys/launcher/single`)).status).toBe(200);
    } finally {
      await cluster.stop();
    }
    expect(member?.running).toBe(false);
    expect(isAlive(member?.pid ?? 0)).toBe(false);
    expect(existsSync(member?.dataDir ?? '')).toBe(false);
    await cluster[Symbol.asyncDispose](); // a second stop is harmless
  });

  it('runs a 3-member cluster that fails over when the leader is killed and takes it back on restart', async () => {
    const cluster = await startEtcd({ binary, members: 3, name: 'trio' });
    try {
      expect(new Set(cluster.clientUrls).size).toBe(3);
      expect(new Set(cluster.members.map((m) => m.peerUrl)).size).toBe(3);
      const first = await cluster.leader();
      const firstPid = first.pid;

      await first.kill();
      expect(first.running).toBe(false);
      expect(isAlive(firstPid)).toBe(false);
      expect(await first.isLeader()).toBe(false);

      const second = await cluster.leader();
      expect(second).not.toBe(first);
      const survivor = cluster.members.find((m) => m !== first && m !== second) ?? second;
      // Right after an election a member may still answer a proposal with a raft error (500, code
      // 300); the write is idempotent, so it is repeated until the new leader has taken it.
      const statuses: number[] = [];
      const put = await poll(async () => {
        const sent = await send(`${survivor.clientUrl}/v2/keys/launcher/failover`, {
          method: 'PUT',
          form: { value: 'after' },
        });
        statuses.push(sent.status);
        return sent.status === 500 ? undefined : sent;
      }, 10_000);
      expect([200, 201], `statuses seen: ${statuses.join(', ')}`).toContain(put?.status);

      await first.restart();
      expect(first.running).toBe(true);
      expect(first.pid).not.toBe(firstPid);
      const health = await send(`${first.clientUrl}/health`);
      expect(JSON.parse(health.body)).toEqual({ health: 'true' });
      const get = await send(`${first.clientUrl}/v2/keys/launcher/failover?quorum=true`);
      expect(JSON.parse(get.body)).toMatchObject({ node: { value: 'after' } });
      const members = JSON.parse((await send(`${first.clientUrl}/v2/members`)).body) as {
        members: unknown[];
      };
      expect(members.members).toHaveLength(3);
    } finally {
      await cluster.stop();
    }
    for (const member of cluster.members) {
      expect(isAlive(member.pid)).toBe(false);
      expect(existsSync(member.dataDir)).toBe(false);
    }
  });

  it('rejects with the log tail and removes the data dir when a member cannot start', async () => {
    const name = `broken${process.pid}x${Date.now()}`;
    const failure = await startEtcd({ binary, name, extraArgs: ['--no-such-flag'] }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(EtcdLaunchError);
    expect(failure).toMatchObject({ code: 'ETCD_START_FAILED' });
    expect((failure as Error).message).toMatch(/no-such-flag/);
    expect(readdirSync(tmpdir()).filter((entry) => entry.startsWith(`etc-${name}-`))).toEqual([]);
  });

  it('retries on "address already in use" and reports it when the port stays taken', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const { port } = squatter.address() as AddressInfo;
    try {
      const failure = await startEtcd({
        binary,
        name: 'squatted',
        extraArgs: ['--listen-client-urls', `http://127.0.0.1:${port}`],
      }).catch((e: unknown) => e);
      expect(failure).toMatchObject({ code: 'ETCD_START_FAILED' });
      expect((failure as Error).message).toMatch(/address already in use/);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('rejects a member count that is not a positive integer', async () => {
    await expect(startEtcd({ binary, members: 0 })).rejects.toThrow(RangeError);
  });
});

describe('global setup', () => {
  it('provides the URL of a ready etcd', async () => {
    const url = inject('etcdUrl');
    expect((await send(`${url}/v2/keys/`)).status).toBe(200);
  });
});

import { createServer, type Server, type Socket } from 'node:net';
import { ConnectionError, OutcomeUnknown, TimedOut } from '@etc/client';
import { type EtcdCluster, startEtcd, startProxy } from '@etc/etcd-launcher';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { etcdV3 } from './etcd-v3.js';

/** A TCP server on loopback that treats every connection with `onSocket`. */
async function server(onSocket: (socket: Socket) => void): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const s: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    onSocket(socket);
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}

describe('bad servers give typed errors, never a hang', () => {
  const opened: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  it('an HTTP/1 server that answers garbage: ConnectionError for calls and waits', async () => {
    const bad = await server((socket) => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
    opened.push(bad);
    const client = etcdV3(bad.url);
    try {
      await expect(client.get('/x')).rejects.toBeInstanceOf(ConnectionError);
      await expect(client.set('/x', 'v')).rejects.toBeInstanceOf(ConnectionError);
      await expect(client.wait('/x')).rejects.toBeInstanceOf(ConnectionError);
    } finally {
      await client.close();
    }
  });

  it('a server that accepts and never answers: the call times out with TimedOut', async () => {
    const silent = await server(() => {});
    opened.push(silent);
    const client = etcdV3(silent.url, { timeout: 300 });
    try {
      await expect(client.get('/x')).rejects.toBeInstanceOf(TimedOut);
      await expect(client.wait('/x', { timeout: 300 })).rejects.toBeInstanceOf(TimedOut);
    } finally {
      await client.close();
    }
  });
});

describe('a 3-member cluster without v2, its member in use killed', () => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await startEtcd({
      binary: inject('etcdBin') || undefined,
      name: 'v3-fail',
      members: 3,
      v2: false,
    });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 30_000);

  it('reads and writes move on to another member; a pending wait moves on and still sees the write', async () => {
    // The client starts on a follower, so killing it costs no election (no timing in the test).
    const leader = await cluster.leader();
    const follower = cluster.members.find((m) => m !== leader);
    const urls = [follower?.clientUrl ?? '', ...cluster.clientUrls.filter((u) => u !== follower?.clientUrl)];
    const client = etcdV3(urls);
    try {
      const first = await client.set('/fail/k', 'v1');
      const used = cluster.members.find((m) => m.clientUrl === client.url);
      expect(used).toBe(follower);
      // Pending on the member's watch stream (or not yet sent): either way it must see the write.
      const pending = client.wait('/fail/k', { index: first.etcdIndex + 1 });
      const settled = pending.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      await used?.kill('SIGKILL');
      // A read moves on at once.
      expect((await client.get('/fail/k')).value).toBe('v1');
      expect(client.url).not.toBe(used?.clientUrl);
      // A loaded machine may lose the raft leader too: a write that certainly did not happen may be
      // retried (only ConnectionError that is not OutcomeUnknown: never sent).
      let second: Awaited<ReturnType<typeof client.set>> | undefined;
      for (let i = 0; second === undefined; i++) {
        try {
          second = await client.set('/fail/k', 'v2', { prevValue: 'v1' });
        } catch (error) {
          if (i > 50 || !(error instanceof ConnectionError) || error instanceof OutcomeUnknown) throw error;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      expect(second.modifiedIndex).toBe((first.modifiedIndex ?? 0) + 1);
      const outcome = await settled;
      expect(outcome).toMatchObject({ value: { value: 'v2', modifiedIndex: second.modifiedIndex } });
      expect((await client.get('/fail/k', { quorum: true })).value).toBe('v2');
    } finally {
      await client.close();
    }
  }, 60_000);

  it('a member that goes silent (traffic stalled) fails its pending wait by the keep-alive ping', async () => {
    const alive = cluster.members.find((m) => m.running);
    const port = Number(new URL(alive?.clientUrl ?? '').port);
    const proxy = await startProxy('127.0.0.1', port);
    const client = etcdV3(proxy.url, { keepAlive: 200 });
    try {
      await client.get('/');
      const pending = client.wait('/silent/k').catch((e: unknown) => e);
      proxy.stall();
      expect(await pending).toBeInstanceOf(ConnectionError);
    } finally {
      await client.close();
      await proxy.close();
    }
  }, 30_000);
});

import { ClusterMismatch, InvalidResponse } from '@etc/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpAdapter } from './http-adapter.js';
import { freePort, httpServer, type RecordingServer } from './test-servers.js';

const servers: RecordingServer[] = [];
let adapter: HttpAdapter | undefined;
afterEach(async () => {
  await adapter?.close();
  adapter = undefined;
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A fake etcd member whose `/v2/members` lists `clientUrls()` and whose keys API answers a get. */
async function fakeMember(clientUrls: () => unknown[], cluster = 'c1'): Promise<RecordingServer> {
  const server = await httpServer((req, res) => {
    res.writeHead(200, {
      'content-type': 'application/json',
      'x-etcd-cluster-id': cluster,
      'x-etcd-index': '3',
    });
    if (req.path === '/v2/members') {
      const members = clientUrls().map((url, i) => ({
        id: `m${i}`,
        name: `n${i}`,
        peerURLs: [`http://127.0.0.1:${1000 + i}`],
        clientURLs: Array.isArray(url) ? url : [url],
      }));
      res.end(`${JSON.stringify({ members })}\n`);
    } else {
      res.end('{"action":"get","node":{"key":"/k","value":"v","modifiedIndex":3,"createdIndex":3}}\n');
    }
  });
  servers.push(server);
  return server;
}

describe('member list refresh', () => {
  it('replaces the endpoints with the client URLs of /v2/members, keeping url and the member in use', async () => {
    const other = `http://127.0.0.1:${await freePort()}`;
    let listed: unknown[] = [];
    const a = await fakeMember(() => listed);
    listed = [[other], [`${a.url}/`, 'unix://ignored'], []];
    adapter = new HttpAdapter({ endpoints: a.url });
    expect(await adapter.sync()).toEqual([other, a.url]);
    expect(adapter.endpoints).toEqual([other, a.url]);
    expect(adapter.url).toBe(a.url);
    expect(adapter.current).toBe(a.url);
    expect(adapter.clusterId).toBe('c1');
    // The new member is used when the one in use fails.
    await a.close();
    await expect(adapter.get({ key: '/k' })).rejects.toMatchObject({
      name: 'ConnectionRefused',
      endpoint: other,
    });
  });

  it('asks the next member when the one in use is down, and drops members no longer listed', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const b = await fakeMember(() => [b.url]);
    adapter = new HttpAdapter({ endpoints: [down, b.url] });
    expect(await adapter.sync()).toEqual([b.url]);
    expect(adapter.current).toBe(b.url);
    expect(b.requests.map((r) => r.path)).toEqual(['/v2/members']);
  });

  it('rejects with InvalidResponse for a body without usable client URLs and keeps the list', async () => {
    const a = await fakeMember(() => ['not a url']);
    adapter = new HttpAdapter({ endpoints: a.url });
    await expect(adapter.sync()).rejects.toBeInstanceOf(InvalidResponse);
    expect(adapter.endpoints).toEqual([a.url]);
  });

  it('rejects with ClusterMismatch when the members answer for another cluster', async () => {
    const a = await fakeMember(() => [a.url], 'c1');
    const b = await fakeMember(() => [b.url], 'c2');
    adapter = new HttpAdapter({ endpoints: [a.url, b.url] });
    await adapter.get({ key: '/k' });
    await a.close();
    await expect(adapter.sync()).rejects.toBeInstanceOf(ClusterMismatch);
    expect(adapter.endpoints).toEqual([a.url, b.url]);
  });

  it('refreshes on its own every syncInterval ms until closed', async () => {
    const extra = `http://127.0.0.1:${await freePort()}`;
    let listed: string[] = [];
    const a = await fakeMember(() => listed);
    listed = [a.url];
    adapter = new HttpAdapter({ endpoints: a.url, syncInterval: 20 });
    await expect.poll(() => a.requests.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(1);
    listed = [a.url, extra];
    await expect.poll(() => adapter?.endpoints, { timeout: 5_000 }).toEqual([a.url, extra]);
    await adapter.close();
    const seen = a.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(a.requests.length).toBe(seen);
  });
});

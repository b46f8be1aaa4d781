// readTree against small local HTTP servers that answer as etcd v2 does (or do not): the answer
// sent a byte at a time, etcd's errors, endpoints that fail over, answers that are not JSON.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConnectionError, EtcdError } from '@etc/client';
import { afterEach, describe, expect, test } from 'vitest';
import { readTree } from './read-tree.js';
import { SnapshotTree } from './snapshot-tree.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A server answering every request with `status`, `headers` and `body`, `chunk` bytes per write. */
async function serve(
  status: number,
  body: string,
  options: { chunk?: number; index?: string; seen?: string[] } = {},
): Promise<string> {
  const server = createServer(async (request, response) => {
    options.seen?.push(`${request.url} ${request.headers.authorization ?? ''}`);
    response.writeHead(status, {
      'content-type': 'application/json',
      ...(options.index === undefined ? {} : { 'x-etcd-index': options.index }),
    });
    const bytes = Buffer.from(body);
    const step = options.chunk ?? bytes.length;
    for (let at = 0; at < bytes.length; at += step) {
      response.write(bytes.subarray(at, at + step));
      if (options.chunk !== undefined) await new Promise((resolve) => setImmediate(resolve));
    }
    response.end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const answer = {
  action: 'get',
  node: {
    dir: true,
    nodes: [
      {
        key: '/a',
        dir: true,
        expiration: '2030-01-02T03:04:05.123456789Z',
        ttl: 100,
        nodes: [
          { key: '/a/b', value: 'é ✓ 𝄞 "q" \\ \n\u0000 {"nodes":[1]}', modifiedIndex: 3, createdIndex: 3 },
          { key: '/a/empty', dir: true, modifiedIndex: 4, createdIndex: 4 },
          {
            key: '/a/c',
            value: '',
            expiration: '2030-01-02T03:04:05.1Z',
            ttl: 5,
            modifiedIndex: 5,
            createdIndex: 5,
          },
        ],
        modifiedIndex: 2,
        createdIndex: 2,
      },
      { key: '/z', value: 'last', modifiedIndex: 6, createdIndex: 6 },
    ],
  },
};

describe('readTree', () => {
  test('every node, depth first, from an answer sent a byte at a time; the index from X-Etcd-Index', async () => {
    const seen: string[] = [];
    const url = await serve(200, JSON.stringify(answer), { chunk: 1, index: '42', seen });
    const tree = new SnapshotTree();
    const index = await readTree([url], { auth: { username: 'u', password: 'p:w' } }, tree);
    expect(index).toBe(42);
    expect([...tree]).toEqual([
      { key: '/a', dir: true, value: undefined, expiration: new Date('2030-01-02T03:04:05.123Z') },
      { key: '/a/b', dir: false, value: 'é ✓ 𝄞 "q" \\ \n\u0000 {"nodes":[1]}', expiration: undefined },
      { key: '/a/empty', dir: true, value: undefined, expiration: undefined },
      { key: '/a/c', dir: false, value: '', expiration: new Date('2030-01-02T03:04:05.100Z') },
      { key: '/z', dir: false, value: 'last', expiration: undefined },
    ]);
    expect({ size: tree.size, files: tree.files, dirs: tree.dirs, ttls: tree.ttls }).toEqual({
      size: 5,
      files: 3,
      dirs: 2,
      ttls: 2,
    });
    expect(seen).toEqual([
      `/v2/keys/?recursive=true&sorted=true&quorum=true Basic ${Buffer.from('u:p:w').toString('base64')}`,
    ]);
  });

  test("etcd's error answer is the client's EtcdError (no other endpoint is asked)", async () => {
    const seen: string[] = [];
    const refused = JSON.stringify({
      errorCode: 110,
      message: 'The request requires user authentication',
      cause: 'Insufficient credentials',
      index: 0,
    });
    const first = await serve(401, refused, { seen });
    const second = await serve(200, JSON.stringify(answer), { index: '1', seen });
    const error = await readTree([first, second], {}, new SnapshotTree()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EtcdError);
    expect(error).toMatchObject({ errorCode: 110, cause: 'Insufficient credentials', index: 0 });
    expect(seen).toHaveLength(1);
  });

  test('an endpoint that cannot be reached or answers no etcd JSON: the next one; none: ConnectionError', async () => {
    const dead = await serve(200, '');
    await new Promise((resolve) => (servers.pop() as Server).close(resolve));
    const broken = await serve(502, 'Bad Gateway');
    const good = await serve(200, JSON.stringify(answer), { index: '7' });
    const tree = new SnapshotTree();
    expect(await readTree([dead, broken, good], {}, tree)).toBe(7);
    expect(tree.size).toBe(5);
    const none = await readTree([dead, broken], {}, new SnapshotTree()).catch((e: unknown) => e);
    expect(none).toBeInstanceOf(ConnectionError);
    expect((none as Error).message).toBe(`${broken} answered HTTP 502`);
  });

  test('an answer that is not JSON, or without X-Etcd-Index, rejects', async () => {
    const truncated = await serve(200, JSON.stringify(answer).slice(0, 100), { index: '1' });
    await expect(readTree([truncated], {}, new SnapshotTree())).rejects.toThrow(/not JSON|end/i);
    const garbage = await serve(200, '{"node": {"key": nope}}', { index: '1' });
    await expect(readTree([garbage], {}, new SnapshotTree())).rejects.toThrow(/not JSON/);
    const noIndex = await serve(200, JSON.stringify(answer));
    await expect(readTree([noIndex], {}, new SnapshotTree())).rejects.toThrow(/X-Etcd-Index/);
  });
});

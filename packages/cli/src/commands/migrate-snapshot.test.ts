// snapshot(): the tree and the --hidden keys at one etcd index, against a small local HTTP server
// that answers as etcd v2 does, with the index it is told to.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { etcd } from '@etc/client';
import { afterEach, expect, test } from 'vitest';
import { CliError } from '../cli-error.js';
import { ExitCode } from '../exit-codes.js';
import { snapshot } from './migrate.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

const tree = {
  action: 'get',
  node: {
    dir: true,
    nodes: [
      {
        key: '/app',
        dir: true,
        nodes: [{ key: '/app/a', value: '1', modifiedIndex: 3, createdIndex: 3 }],
        modifiedIndex: 2,
        createdIndex: 2,
      },
      { key: '/b', value: '2', modifiedIndex: 4, createdIndex: 4 },
    ],
  },
};
const hiddenNodes: Record<string, unknown> = {
  '/app/_lock': { key: '/app/_lock', value: 'held', modifiedIndex: 5, createdIndex: 5 },
  '/_sys/a': { key: '/_sys/a', value: 'x', modifiedIndex: 6, createdIndex: 6 },
};

/** A v2 server: the tree's GET answered at `treeIndex()`, each hidden key at `hiddenIndex()`. */
async function serve(treeIndex: () => number, hiddenIndex: () => number, log: string[]): Promise<string> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    const key = decodeURIComponent(url.pathname.slice('/v2/keys'.length)) || '/';
    if (key === '/') {
      const index = treeIndex();
      log.push(`tree ${index}`);
      response.writeHead(200, { 'content-type': 'application/json', 'x-etcd-index': String(index) });
      response.end(JSON.stringify(tree));
      return;
    }
    const index = hiddenIndex();
    log.push(`${key} ${index}`);
    response.writeHead(200, { 'content-type': 'application/json', 'x-etcd-index': String(index) });
    response.end(JSON.stringify({ action: 'get', node: hiddenNodes[key] }));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('hidden keys read at the index of the tree, each placed right after its nearest visible parent', async () => {
  const log: string[] = [];
  const url = await serve(
    () => 10,
    () => 10,
    log,
  );
  const source = etcd([url]);
  try {
    const got = await snapshot(source, [url], {}, ['/app/_lock', '/_sys/a'], new AbortController().signal);
    expect(got.index).toBe(10);
    expect([...got.tree].map((n) => [n.key, n.dir, n.value])).toEqual([
      ['/_sys', true, undefined],
      ['/_sys/a', false, 'x'],
      ['/app', true, undefined],
      ['/app/_lock', false, 'held'],
      ['/app/a', false, '1'],
      ['/b', false, '2'],
    ]);
    expect({ files: got.tree.files, dirs: got.tree.dirs }).toEqual({ files: 4, dirs: 2 });
    got.tree.close();
  } finally {
    await source.close();
  }
});

test('a write between the GET and a hidden key: the answer dropped, all read again; 5 times: status 1', async () => {
  const log: string[] = [];
  let index = 10;
  // The first tree answer is at 10, its hidden key at 11; then both at 11.
  const url = await serve(
    () => index,
    () => {
      if (index === 10) index = 11;
      return index;
    },
    log,
  );
  const source = etcd([url]);
  try {
    const got = await snapshot(source, [url], {}, ['/app/_lock'], new AbortController().signal);
    expect(got.index).toBe(11);
    expect(log).toEqual(['tree 10', '/app/_lock 11', 'tree 11', '/app/_lock 11']);
    expect([...got.tree].map((n) => n.key)).toEqual(['/app', '/app/_lock', '/app/a', '/b']);
    got.tree.close();
    // Always moving: no consistent snapshot.
    log.length = 0;
    let moving = 20;
    const url2 = await serve(
      () => moving,
      () => ++moving,
      log,
    );
    const source2 = etcd([url2]);
    try {
      const error = await snapshot(source2, [url2], {}, ['/app/_lock'], new AbortController().signal).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CliError);
      expect((error as CliError).exitCode).toBe(ExitCode.badArgs);
      expect((error as Error).message).toMatch(/kept changing while it was read \(5 attempts\)/);
      expect(log.filter((line) => line.startsWith('tree'))).toHaveLength(5);
    } finally {
      await source2.close();
    }
  } finally {
    await source.close();
  }
});

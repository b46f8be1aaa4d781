import { Agent } from 'node:http';
import { type Client, Directory, type Node, Value } from '@etc/client';
import Etcd from 'node-etcd';
import { Pool } from 'undici';

/** One HTTP client for etcd v2, driven the same way by the peer benchmark. */
export interface Peer {
  name: string;
  /** Reads `key`; resolves with its value. */
  get(key: string): Promise<string>;
  /** Reads `dir` recursively; resolves with the number of values in it. */
  list(dir: string): Promise<number>;
  /** Waits for the change of `key` at `index` (a long poll); resolves with its modifiedIndex. */
  wait(key: string, index: number): Promise<number>;
  close(): Promise<void>;
}

interface WireNode {
  value?: string;
  modifiedIndex?: number;
  nodes?: WireNode[];
}

function countValues(node: WireNode | undefined): number {
  if (!node) return 0;
  if (!node.nodes) return node.value === undefined ? 0 : 1;
  let count = 0;
  for (const child of node.nodes) count += countValues(child);
  return count;
}

function bodyNode(body: unknown): WireNode {
  const node = (body as { node?: WireNode } | undefined)?.node;
  if (!node) throw new Error(`not an etcd result: ${JSON.stringify(body).slice(0, 200)}`);
  return node;
}

function countEtcValues(node: Node): number {
  if (node instanceof Value) return 1;
  if (!(node instanceof Directory)) return 0;
  let count = 0;
  for (const child of node.nodes) count += countEtcValues(child);
  return count;
}

/** etc's own client. */
export function etcPeer(client: Client): Peer {
  return {
    name: 'etc',
    get: async (key) => (await client.get(key)).value ?? '',
    list: async (dir) => countEtcValues((await client.get(dir, { recursive: true })).node),
    wait: async (key, index) => (await client.wait(key, { index })).modifiedIndex ?? 0,
    close: () => client.close(),
  };
}

/** node-etcd 7 (the `request`-based v2 client on npm), with or without a keep-alive agent. */
export function nodeEtcdPeer(url: string, keepAlive: boolean, sockets: number): Peer {
  const agent = keepAlive ? new Agent({ keepAlive: true, maxSockets: sockets }) : undefined;
  const etcd = new Etcd(url, agent ? { agent } : { pool: { maxSockets: sockets } });
  const get = (key: string, options: Record<string, unknown>) =>
    new Promise<WireNode>((resolve, reject) => {
      etcd.get(key, options, (error, body) => {
        if (error) reject(error);
        else resolve(bodyNode(body));
      });
    });
  return {
    name: keepAlive ? 'node-etcd, keep-alive agent' : 'node-etcd (default, no keep-alive)',
    get: async (key) => (await get(key, {})).value ?? '',
    // etcd sends a directory's children unsorted; counting the values walks the tree as etc does.
    list: async (dir) => countValues(await get(dir, { recursive: true })),
    wait: async (key, index) => (await get(key, { wait: true, waitIndex: index })).modifiedIndex ?? 0,
    close: async () => agent?.destroy(),
  };
}

/** Node's global `fetch` (its bundled undici), as a user without a library would write it. */
export function fetchPeer(url: string): Peer {
  const json = async (path: string) => bodyNode(await (await fetch(`${url}/v2/keys${path}`)).json());
  return {
    name: "Node's fetch",
    get: async (key) => (await json(key)).value ?? '',
    list: async (dir) => countValues(await json(`${dir}?recursive=true`)),
    wait: async (key, index) => (await json(`${key}?wait=true&waitIndex=${index}`)).modifiedIndex ?? 0,
    close: async () => {},
  };
}

/** A bare undici `Pool.request` and `JSON.parse`: the floor any undici-based client stands on. */
export function undiciPeer(url: string, connections: number): Peer {
  const pool = new Pool(url, { connections });
  const waits = new Pool(url);
  const json = async (target: Pool, path: string) => {
    const response = await target.request({ method: 'GET', path: `/v2/keys${path}` });
    return bodyNode(JSON.parse(await response.body.text()));
  };
  return {
    name: 'bare undici',
    get: async (key) => (await json(pool, key)).value ?? '',
    list: async (dir) => countValues(await json(pool, `${dir}?recursive=true`)),
    wait: async (key, index) => (await json(waits, `${key}?wait=true&waitIndex=${index}`)).modifiedIndex ?? 0,
    close: async () => {
      await Promise.all([pool.close(), waits.close()]);
    },
  };
}

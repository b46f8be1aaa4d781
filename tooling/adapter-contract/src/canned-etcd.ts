import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { WireResponse } from '@etc/protocol';

/** A server on 127.0.0.1 that answers every request with one fixed response. */
export interface CannedServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** How many requests it has answered. */
  readonly requests: number;
  /** Stops listening and destroys every open connection. */
  close(): Promise<void>;
}

/**
 * Starts an HTTP server on a free loopback port that answers every request with `response`
 * (status, headers, body), as an etcd member would send it. For answers a real etcd gives only in
 * conditions a test cannot cheaply make (a late expiry sweep).
 */
export async function cannedServer(response: WireResponse): Promise<CannedServer> {
  let requests = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((request, reply) => {
    request.resume();
    request.on('end', () => {
      requests++;
      reply.writeHead(response.status, response.headers as Record<string, string>);
      reply.end(response.body);
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * What etcd 3.4 answers to `GET /v2/keys<key>` for a value whose expiration passed `overdueMs` ago
 * while its expiry sweep has not run yet (a paused or overloaded member): the node as usual, with
 * `ttl` = ceil((expiration - now) / 1 s), which is -1 or lower once it is a second overdue.
 */
export function lateExpiryAnswer(key: string, overdueMs = 1_500): WireResponse {
  const expiration = new Date(Date.now() - overdueMs);
  const ttl = Math.ceil(-overdueMs / 1_000);
  return {
    status: 200,
    headers: {
      'content-type': 'application/json',
      'x-etcd-cluster-id': 'cdf818194e3a8c32',
      'x-etcd-index': '12',
      'x-raft-index': '40',
      'x-raft-term': '2',
    },
    body: `${JSON.stringify({
      action: 'get',
      node: {
        key,
        value: 'late',
        expiration: expiration.toISOString(),
        ttl,
        modifiedIndex: 11,
        createdIndex: 11,
      },
    })}\n`,
  };
}

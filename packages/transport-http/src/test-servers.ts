/**
 * In-process servers for the adapter's tests (not part of the package's API): an HTTP server that
 * records requests, a raw TCP server that answers whatever bytes a test wants, and a free port.
 * All listen on 127.0.0.1 port 0.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Server, type Socket } from 'node:net';

/** A request as the HTTP test server saw it. */
export interface SeenRequest {
  method: string;
  /** The path without the query. */
  path: string;
  /** The raw query string without `?` (`''` when there is none). */
  query: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A running test server. */
export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Stops listening and destroys every open connection. */
  close(): Promise<void>;
}

/** The HTTP test server, with what it has seen. */
export interface RecordingServer extends TestServer {
  requests: SeenRequest[];
}

function listen(server: Server, sockets: Set<Socket>): Promise<TestServer> {
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** An HTTP server that reads each request's body, records it, then calls `handler`. */
export async function httpServer(
  handler: (request: SeenRequest, response: ServerResponse, index: number) => void,
): Promise<RecordingServer> {
  const requests: SeenRequest[] = [];
  const server = createHttpServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      const [path = '', query = ''] = (req.url ?? '').split('?', 2);
      const seen: SeenRequest = { method: req.method ?? '', path, query, headers: req.headers, body };
      requests.push(seen);
      handler(seen, res, requests.length - 1);
    });
  });
  const running = await listen(server, new Set());
  return { ...running, requests };
}

/**
 * A TCP server that calls `onRequest` with the socket once a request's head has arrived (for a
 * request with a body, possibly before the body). It never parses HTTP beyond that.
 */
export async function rawServer(onRequest: (socket: Socket, head: string) => void): Promise<TestServer> {
  const server = createNetServer((socket) => {
    let received = '';
    let answered = false;
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (!answered && received.includes('\r\n\r\n')) {
        answered = true;
        onRequest(socket, received);
      }
    });
  });
  return listen(server, new Set());
}

/** A loopback port that nothing listens on (bound, then released). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** An etcd-style JSON answer with the headers etcd sends on success. */
export function etcdAnswer(response: ServerResponse, status: number, body: unknown, index = 7): void {
  response.writeHead(status, {
    'content-type': 'application/json',
    'x-etcd-index': String(index),
    'x-raft-index': String(index + 100),
    'x-raft-term': '2',
  });
  response.end(`${JSON.stringify(body)}\n`);
}

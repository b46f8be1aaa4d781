import { connect, createServer, type Socket } from 'node:net';
import { httpRequestEnd } from './http-request-end.js';

/** A TCP proxy on 127.0.0.1 in front of one target, for fault tests. */
export interface TcpProxy {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Stops forwarding in both directions on every connection, new ones included; sockets stay open. */
  stall(): void;
  /** Forwards again, first what was held back while stalled. */
  resume(): void;
  /** Destroys every open socket (both sides) with a TCP RST; the proxy keeps accepting. */
  resetAll(): void;
  /**
   * Arms a fault for the next accepted connection: its HTTP request (headers and body) is forwarded
   * to the target, and once the client has sent it all the client connection is closed without a
   * response, so the target acts on a request whose answer is lost. Keep-alive clients must open a
   * new connection for it to apply (call {@link TcpProxy.resetAll} first if unsure).
   */
  dropAfterRequest(): void;
  /** How many client connections the proxy has accepted so far. */
  readonly accepted: number;
  /**
   * How many bytes the proxy has read from its clients so far, stalled or not: a test can wait for
   * a request to have left the client (`received` grew) instead of sleeping.
   */
  readonly received: number;
  /** Stops listening and destroys every socket. */
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
/** How long a dropped request's target connection waits for the answer it throws away, in ms. */
const DROP_DRAIN_MS = 10_000;

/**
 * Starts a {@link TcpProxy} on a free 127.0.0.1 port forwarding to `targetHost:targetPort`.
 * @throws {Error} when `targetHost` is not a loopback address (tests never leave the machine).
 */
export async function startProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  if (!LOOPBACK.has(targetHost)) throw new Error(`startProxy only targets loopback, not ${targetHost}`);
  const proxy = new ProxyServer(targetHost, targetPort);
  await proxy.listen();
  return proxy;
}

/** One direction of a connection: holds chunks back while stalled and respects backpressure. */
class Relay {
  readonly #held: Buffer[] = [];
  #ended = false;

  constructor(
    readonly from: Socket,
    readonly to: Socket | undefined,
    readonly isStalled: () => boolean,
    readonly inspect?: (chunk: Buffer) => void,
    /** True for the client side: it keeps reading (and holding) while stalled, so bytes are counted. */
    readonly holds = false,
  ) {
    from.on('data', (chunk: Buffer) => {
      inspect?.(chunk);
      if (isStalled()) this.#held.push(chunk);
      else this.#write(chunk);
    });
    from.on('end', () => {
      this.#ended = true;
      if (!isStalled()) to?.end();
    });
  }

  /** Writes a chunk on; false when the target is full and `from` waits for its 'drain'. */
  #write(chunk: Buffer): boolean {
    if (!this.to || this.to.destroyed || this.to.write(chunk)) return true;
    this.from.pause();
    this.to.once('drain', () => {
      if (!this.isStalled()) this.from.resume();
    });
    return false;
  }

  pause(): void {
    if (!this.holds) this.from.pause();
  }

  flush(): void {
    let flowing = true;
    for (const chunk of this.#held.splice(0)) flowing = this.#write(chunk) && flowing;
    if (this.#ended) this.to?.end();
    else if (flowing) this.from.resume();
  }
}

class ProxyServer implements TcpProxy {
  readonly #server = createServer({ allowHalfOpen: true }, (client) => this.#accept(client));
  readonly #sockets = new Set<Socket>();
  readonly #relays = new Set<Relay>();
  #stalled = false;
  #dropNext = false;
  port = 0;
  accepted = 0;
  received = 0;

  constructor(
    readonly targetHost: string,
    readonly targetPort: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => {
        const address = this.#server.address();
        this.port = typeof address === 'object' && address ? address.port : 0;
        resolve();
      });
    });
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('error', () => {}); // a reset or refused peer is expected in fault tests
    socket.once('close', () => this.#sockets.delete(socket));
  }

  #accept(client: Socket): void {
    this.accepted++;
    const upstream = connect({ port: this.targetPort, host: this.targetHost, allowHalfOpen: true });
    this.#track(client);
    this.#track(upstream);
    const stalled = () => this.#stalled;
    if (this.#dropNext) {
      this.#dropNext = false;
      this.#acceptDropping(client, upstream, stalled);
      return;
    }
    const count = (chunk: Buffer) => {
      this.received += chunk.length;
    };
    const relays = [new Relay(client, upstream, stalled, count, true), new Relay(upstream, client, stalled)];
    for (const relay of relays) this.#relays.add(relay);
    // A side that closed after a clean end has had its `end` relayed; the other side finishes
    // writing and closes by itself. Any other close takes the other side down at once.
    const link = (socket: Socket, other: Socket) =>
      socket.once('close', (hadError: boolean) => {
        for (const relay of relays) this.#relays.delete(relay);
        if (hadError || !socket.readableEnded) other.destroy();
      });
    link(client, upstream);
    link(upstream, client);
    if (this.#stalled) for (const relay of relays) relay.pause();
  }

  #acceptDropping(client: Socket, upstream: Socket, stalled: () => boolean): void {
    let received = Buffer.alloc(0);
    let complete = false;
    const dropUpstream = () => upstream.destroy();
    const toUpstream = new Relay(client, upstream, stalled, (chunk) => {
      this.received += chunk.length;
      if (complete) return;
      received = Buffer.concat([received, chunk]);
      if (httpRequestEnd(received) === undefined) return;
      complete = true;
      // The request is whole: hang up on the client, and let the target answer into the void.
      setImmediate(() => client.destroy());
      upstream.once('data', dropUpstream);
      setTimeout(dropUpstream, DROP_DRAIN_MS).unref();
    });
    const fromUpstream = new Relay(upstream, undefined, stalled);
    this.#relays.add(toUpstream);
    this.#relays.add(fromUpstream);
    client.once('close', () => {
      if (!complete) upstream.destroy();
    });
    upstream.once('close', () => {
      client.destroy();
      this.#relays.delete(toUpstream);
      this.#relays.delete(fromUpstream);
    });
    if (this.#stalled) toUpstream.pause();
  }

  stall(): void {
    this.#stalled = true;
    for (const relay of this.#relays) relay.pause();
  }

  resume(): void {
    this.#stalled = false;
    for (const relay of this.#relays) relay.flush();
  }

  resetAll(): void {
    for (const socket of this.#sockets) {
      if (socket.destroyed) continue;
      if (socket.connecting) socket.destroy();
      else socket.resetAndDestroy();
    }
  }

  dropAfterRequest(): void {
    this.#dropNext = true;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      for (const socket of this.#sockets) socket.destroy();
    });
  }
}

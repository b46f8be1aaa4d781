import { type buildConnector as BuildConnector, buildConnector, Pool } from 'undici';
import type { HttpTlsOptions } from './options.js';

/** What an endpoint needs from the adapter's options. */
export interface EndpointOptions {
  /** Keep-alive connections for ordinary calls. */
  connections: number;
  /** TLS client options, used when the endpoint is https. */
  tls: HttpTlsOptions | undefined;
  /** Receives every error the connector reports: such a request never left this process. */
  notSent: WeakSet<object>;
}

/**
 * Builds undici's connector and records each error it reports in `notSent`. A connector error
 * means no socket was ever handed to the request, so nothing of it was sent.
 */
function markingConnector(
  options: BuildConnector.BuildOptions,
  notSent: WeakSet<object>,
): BuildConnector.connector {
  const connect = buildConnector(options);
  return (target, callback) => {
    try {
      connect(target, (...args) => {
        if (args[0]) notSent.add(args[0]);
        callback(...args);
      });
    } catch (error) {
      if (typeof error === 'object' && error !== null) notSent.add(error);
      throw error;
    }
  };
}

/**
 * One etcd member: its URL and two keep-alive pools, one for ordinary calls (limited to
 * `connections`) and one for waits (no limit), so a long poll never holds up other requests.
 * undici's own header and body timeouts are off: every call's deadline is the adapter's.
 */
export class Endpoint {
  /** The endpoint's origin, e.g. `http://127.0.0.1:2379`. */
  readonly url: string;
  /** The pool for ordinary calls. */
  readonly pool: Pool;
  /** The pool for waits (long polls). */
  readonly waits: Pool;

  constructor(url: string, options: EndpointOptions) {
    this.url = url;
    const connectOptions: BuildConnector.BuildOptions = url.startsWith('https:') ? { ...options.tls } : {};
    const connect = markingConnector(connectOptions, options.notSent);
    const common = { connect, headersTimeout: 0, bodyTimeout: 0 };
    this.pool = new Pool(url, { ...common, connections: options.connections });
    this.waits = new Pool(url, common);
  }

  /**
   * Closes both pools gracefully: no new requests, pending ones finish, then the sockets close.
   * Never rejects.
   */
  async drain(): Promise<void> {
    await Promise.all([this.pool.close(), this.waits.close()]).catch(() => undefined);
  }

  /** Destroys both pools: open requests fail and every socket is closed. */
  async close(): Promise<void> {
    await Promise.all([this.pool.destroy(), this.waits.destroy()]);
  }
}

import { HttpAdapter, type HttpAdapterOptions } from '@etc/transport-http';
import { Client } from './client.js';

/** Options of `etcd()`: everything the HTTP adapter takes except the endpoints. */
export type EtcdOptions = Omit<HttpAdapterOptions, 'endpoints'>;

/**
 * Builds a `Client` over the HTTP adapter. `url` is one endpoint, a comma-separated list or an
 * array (a cluster); the default is `http://127.0.0.1:2379`.
 */
export function etcd(url?: string | readonly string[], options?: EtcdOptions): Client {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError('etcd(): options must be an object');
  }
  return new Client(new HttpAdapter({ ...options, ...(url === undefined ? {} : { endpoints: url }) }));
}

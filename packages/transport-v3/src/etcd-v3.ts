import { Client } from '@etc/client';
import type { V3AdapterOptions } from './options.js';
import { V3Adapter } from './v3-adapter.js';

/** Options of `etcdV3()`: everything `V3Adapter` takes except the endpoints. */
export type EtcdV3Options = Omit<V3AdapterOptions, 'endpoints'>;

/**
 * Builds the same `Client` as `etcd()` over the v3 adapter: etcd's v2 keys API on an etcd that
 * serves only v3 (3.6+). `endpoints` is one URL, a comma-separated list or an array; the default
 * is `http://127.0.0.1:2379`.
 */
export function etcdV3(endpoints?: string | readonly string[], options?: EtcdV3Options): Client {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError('etcdV3(): options must be an object');
  }
  if (options !== undefined && 'endpoints' in options) {
    throw new TypeError('etcdV3(): give the endpoints as the first argument, not as an option');
  }
  return new Client(new V3Adapter({ ...options, ...(endpoints === undefined ? {} : { endpoints }) }));
}

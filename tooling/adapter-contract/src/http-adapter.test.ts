import type {} from '@etc/etcd-launcher';
import { HttpAdapter } from '@etc/transport-http';
import { inject } from 'vitest';
import { adapterContract } from './contract.js';

// The etcd the whole run shares (the root global setup starts it, or ETCD_URL names it); the suite
// keeps each test under a key prefix of its own.
const url = inject('etcdUrl');

adapterContract('HttpAdapter on a real etcd', async ({ layers, timeout }) => ({
  adapter: new HttpAdapter({ endpoints: url, layers, ...(timeout === undefined ? {} : { timeout }) }),
}));

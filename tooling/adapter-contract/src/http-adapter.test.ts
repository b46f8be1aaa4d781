import type {} from '@etc/etcd-launcher';
import { HttpAdapter } from '@etc/transport-http';
import { inject } from 'vitest';
import { cannedServer, lateExpiryAnswer } from './canned-etcd.js';
import { adapterContract } from './contract.js';

// The etcd the whole run shares (the root global setup starts it, or ETCD_URL names it); the suite
// keeps each test under a key prefix of its own.
const url = inject('etcdUrl');

adapterContract(
  'HttpAdapter on a real etcd',
  async ({ layers, timeout }) => ({
    adapter: new HttpAdapter({ endpoints: url, layers, ...(timeout === undefined ? {} : { timeout }) }),
  }),
  {
    // A late expiry sweep on a real etcd takes a SIGSTOP of the member (tooling/faults does that);
    // here a server answers exactly what etcd 3.4 then sends.
    async lateExpiry(prefix, { layers }) {
      const key = `${prefix}/overdue`;
      const server = await cannedServer(lateExpiryAnswer(key));
      return { adapter: new HttpAdapter({ endpoints: server.url, layers }), key, dispose: server.close };
    },
  },
);

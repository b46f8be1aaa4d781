import { etcd } from '@etc/client';
import { mockEtcd } from '@etc/mock';
import { demo } from './demo.js';

// Runs the tour on the embedded in-memory etcd, or on a real server when ETCD_URL is set.
const url = process.env.ETCD_URL;
const client = url ? etcd(url) : mockEtcd();
console.log(
  url
    ? `etc demo on a real etcd at ${url}\n`
    : 'etc demo on the embedded in-memory etcd (set ETCD_URL for a real one)\n',
);
try {
  await demo(client);
} finally {
  await client.close();
}

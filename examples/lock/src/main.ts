import { etcd } from '@etc/client';
import { mockEtcd } from '@etc/mock';
import { lockExample } from './lock.js';

// On an in-memory etcd by default; set ETCD_URL (one URL or a comma-separated list) for a real one.
const client = process.env.ETCD_URL ? etcd(process.env.ETCD_URL) : mockEtcd();
try {
  await lockExample(client);
} finally {
  await client.close();
}

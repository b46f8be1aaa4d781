/**
 * The child process of `exit.test.ts`: a client on the etcd at `ETCD_URL` does gets, sets, waits and
 * watches (one still active), then closes. The process must then exit by itself; it never calls
 * `process.exit`. Prints `closed` once `close()` has resolved.
 */
import { etcd } from '@etc/client';

const url = process.env.ETCD_URL;
if (!url) throw new Error('ETCD_URL is not set');
const client = etcd([url, 'http://127.0.0.1:1'], {
  timeout: 5_000,
  attemptTimeout: 2_000,
  syncInterval: 60_000,
});
const base = `/faults-exit/${process.pid}`;

const first = await client.set(`${base}/a`, 'one');
await client.get(`${base}/a`);
await client.get(base, { recursive: true });
await client.wait(`${base}/a`, { index: first.node.modifiedIndex, timeout: 5_000 });

// A watch that sees an event, and one that is still waiting when the client closes.
const seen = (async () => {
  for await (const event of client.watch(`${base}/a`, { index: first.etcdIndex + 1 })) return event.value;
  return undefined;
})();
const active = (async () => {
  for await (const _event of client.watch(`${base}/never`, { recursive: true })) return 'unexpected';
  return 'ended';
})();
// A wait without a timeout, pending when the client closes.
const pending = client.wait(`${base}/never`).then(
  () => 'unexpected',
  (error: Error) => error.name,
);
await client.set(`${base}/a`, 'two');
if ((await seen) !== 'two') throw new Error('the watch did not see the set');
await client.delete(base, { recursive: true });
await client.close();
console.log(`closed ${await active} ${await pending}`);

// Run as a child process by exit.test.ts: uses a client, leaves a wait pending, closes, and must
// then exit on its own (no timer, socket or stream keeps Node alive; the background member sync
// included).
import { etcdV3, type V3Adapter } from '../src/index.js';

const client = etcdV3(process.argv[2], { keepAlive: 1_000, syncInterval: 60_000 });
await (client.adapter as V3Adapter).sync();
await client.set('/exit/k', 'v');
const pending = client.wait('/exit/never').catch((error: unknown) => (error as Error).name);
await client.get('/exit/k');
await client.close();
console.log(await pending);

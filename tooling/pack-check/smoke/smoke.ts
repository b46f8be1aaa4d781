// Type-checked with tsc --noEmit against the installed .d.ts files (skipLibCheck off).
import { type Client, type GetOptions, Got, KeyNotFound, type Node, type WatchOptions } from '@etc/client';
import { MockStore, mockEtcd } from '@etc/mock';
import { type KeptNode, keepNode, type LeaseLost } from '@etc/sugar';

const client: Client = mockEtcd({ store: new MockStore() });
const options: GetOptions = { recursive: true, sorted: true };
const got: Got = await client.get('/config', options);
const value: string | undefined = got.value;
const nodes: readonly Node[] | undefined = got.nodes;

const watchOptions: WatchOptions = { recursive: true, signal: AbortSignal.timeout(1_000) };
for await (const change of client.watch('/config', watchOptions)) {
  if (change instanceof Got) console.log(change.etcdIndex);
  else console.log(change.key, change.index);
}

try {
  await client.get('/missing');
} catch (error) {
  if (error instanceof KeyNotFound) {
    const code: number = error.errorCode;
    console.log(code, error.code);
  }
}

// @ts-expect-error a misspelt option is a type error
await client.get('/config', { recursve: true });
// @ts-expect-error ttl is a number of seconds
await client.set('/config', 'x', { ttl: '10' });

const kept: KeptNode = keepNode(client, '/services/a', 'x', { ttl: 10 });
const lost: Promise<LeaseLost | undefined> = kept.ready.then(
  () => undefined,
  (error: LeaseLost) => error,
);
console.log(value, nodes, lost);
await client.close();

import type { Client } from '@etc/client';
import { lock } from '@etc/sugar';

/**
 * Three workers share /locks/reindex: each holds it for a moment, in the order they asked. A
 * fourth gives up waiting after 200 ms, and its place in the queue is removed.
 */
export async function lockExample(client: Client, log: (line: string) => void = console.log): Promise<void> {
  const key = '/etc-examples/locks/reindex';
  let holders = 0;

  const worker = async (name: string) => {
    await using held = await lock(client, key, { ttl: 2, value: name });
    holders++;
    log(`${name}: got the lock (token ${held.createdIndex}, holders now ${holders})`);
    await sleep(150);
    holders--;
    log(`${name}: done, releasing`);
  };

  const impatient = async () => {
    try {
      await lock(client, key, { ttl: 2, value: 'impatient', signal: AbortSignal.timeout(200) });
      log('impatient: got the lock');
    } catch (error) {
      log(`impatient: gave up waiting (${(error as Error).name})`);
    }
  };

  await Promise.all([
    worker('worker-1'),
    sleep(20).then(() => worker('worker-2')),
    sleep(40).then(impatient),
    sleep(60).then(() => worker('worker-3')),
  ]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

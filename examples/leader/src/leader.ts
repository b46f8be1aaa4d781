import type { Client } from '@etc/client';
import { campaign, observeLeader } from '@etc/sugar';

/**
 * Three scheduler replicas campaign for /election/scheduler; each leader does a little work,
 * stamping it with its fencing token (the leader key's createdIndex), then hands over. An observer
 * prints every change of leader.
 */
export async function leader(client: Client, log: (line: string) => void = console.log): Promise<void> {
  const election = '/etc-examples/election/scheduler';
  const watching = new AbortController();
  let first: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    first = resolve;
  });
  const observer = (async () => {
    for await (const value of observeLeader(client, election, { signal: watching.signal })) {
      log(`observer: leader is ${value ?? '(none)'}`);
      first();
    }
  })();
  await started;

  const replica = async (name: string) => {
    const leadership = await campaign(client, election, name, { ttl: 2 });
    log(`${name}: leading with fencing token ${leadership.createdIndex}`);
    for (let job = 1; job <= 2; job++) {
      await sleep(150);
      // Check right before acting: the lease may have run out while this process was busy.
      if (!leadership.held) {
        log(`${name}: lost leadership (${String(leadership.signal.reason)}), stopping work`);
        return;
      }
      log(`${name}: job ${job} done (token ${leadership.createdIndex})`);
    }
    await leadership.resign();
    log(`${name}: resigned`);
  };
  await Promise.all(['node-a', 'node-b', 'node-c'].map((name, i) => sleep(20 * i).then(() => replica(name))));

  await sleep(100);
  watching.abort();
  await observer;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

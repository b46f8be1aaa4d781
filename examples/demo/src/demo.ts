import { type Client, KeyNotFound, NodeExist, TestFailed, TimedOut } from '@etc/client';

/** A short tour of the API; every line it prints comes from a real call on `client`. */
export async function demo(client: Client, log: (line: string) => void = console.log): Promise<void> {
  const root = '/etc-demo';
  await client.delete(root, { recursive: true }).catch((error) => {
    if (!(error instanceof KeyNotFound)) throw error;
  });

  const set = await client.set(`${root}/greeting`, 'hello');
  log(`set      ${set.key} = ${set.value} (${set.constructor.name}, index ${set.index})`);

  const got = await client.get(`${root}/greeting`);
  log(`get      ${got.key} = ${got.value} (etcd index ${got.etcdIndex})`);

  const swapped = await client.update(`${root}/greeting`, 'hello, world', { prevValue: 'hello' });
  log(
    `update   compare-and-swap: ${swapped.prevNode && 'value' in swapped.prevNode ? swapped.prevNode.value : ''} -> ${swapped.value} (${swapped.constructor.name})`,
  );

  try {
    await client.update(`${root}/greeting`, 'nope', { prevValue: 'hello' });
  } catch (error) {
    if (!(error instanceof TestFailed)) throw error;
    log(`update   with a stale prevValue: ${String(error)}`);
  }

  try {
    await client.create(`${root}/greeting`, 'again');
  } catch (error) {
    if (!(error instanceof NodeExist)) throw error;
    log(`create   an existing key: ${String(error)}`);
  }

  const session = await client.set(`${root}/session`, 'token', { ttl: 30 });
  log(`set      ${session.key} with ttl ${session.ttl}s, expires ${session.expiration?.toISOString()}`);

  for (const job of ['build', 'test', 'ship']) await client.append(`${root}/queue`, job);
  const queue = await client.get(`${root}/queue`, { sorted: true });
  log(
    `append   in-order queue: ${queue.values?.join(', ')} (${queue.nodes?.map((n) => n.key.split('/').pop()).join(' < ')})`,
  );

  // Waiting from the next index cannot miss the change, however late the wait reaches the server.
  const next = client.wait(`${root}/greeting`, { index: queue.etcdIndex + 1, timeout: 5_000 });
  await client.set(`${root}/greeting`, 'changed');
  const event = await next;
  log(`wait     saw ${event.action} of ${event.key} -> ${event.value}`);

  const from = event.index! + 1;
  await client.set(`${root}/queue/extra`, 'late job');
  await client.delete(`${root}/session`);
  const seen: string[] = [];
  for await (const change of client.watch(root, { index: from, recursive: true })) {
    seen.push(`${change.action} ${change.key.slice(root.length)}`);
    if (seen.length === 2) break;
  }
  log(`watch    ${root} recursively from index ${from}: ${seen.join(', ')}`);

  const past = await client.wait(`${root}/greeting`, { index: set.index! });
  log(`wait     from index ${set.index}: the first change there was ${past.action} = ${past.value}`);

  try {
    await client.wait(`${root}/quiet`, { timeout: 200 });
  } catch (error) {
    if (!(error instanceof TimedOut)) throw error;
    log(`wait     a key nobody writes, timeout 200 ms: ${error.name}`);
  }

  const tree = await client.get(root, { recursive: true, sorted: true });
  log(`get      ${root} recursively: ${tree.nodes?.length} children`);

  const deleted = await client.delete(root, { recursive: true });
  log(`delete   ${deleted.key} (${deleted.constructor.name})`);

  try {
    await client.get(root);
  } catch (error) {
    if (!(error instanceof KeyNotFound)) throw error;
    log(`get      after delete: ${String(error)}`);
  }
}

import { type Client, Directory, KeyNotFound, Value } from '@etc/client';
import { keepNode } from '@etc/sugar';

/**
 * A service announces itself under /services/api with a node kept alive by a 2 s TTL; an operator
 * deletes it by mistake and it comes back; on shutdown it removes itself.
 */
export async function heartbeat(client: Client, log: (line: string) => void = console.log): Promise<void> {
  const dir = '/etc-examples/services/api';
  const registry = async () => {
    try {
      const got = await client.get(dir);
      const nodes = got.node instanceof Directory ? got.node.nodes : [];
      return (
        nodes
          .map((node) => `${node.key.split('/').pop()}=${node instanceof Value ? node.value : '?'}`)
          .join(', ') || '(empty)'
      );
    } catch (error) {
      if (error instanceof KeyNotFound) return '(empty)';
      throw error;
    }
  };

  const kept = keepNode(client, `${dir}/instance-1`, 'http://127.0.0.1:8080', {
    ttl: 2,
    onEvent: (event) => log(`keepNode: ${event.type}${event.type === 'lost' ? ` (${event.reason})` : ''}`),
  });
  const node = await kept.ready;
  log(`registered, TTL ${node.ttl}s; registry: ${await registry()}`);

  await sleep(2_500);
  log(`after 2.5 s (longer than the TTL), state ${kept.state}; registry: ${await registry()}`);

  await client.delete(`${dir}/instance-1`);
  log('an operator deleted the node');
  await sleep(1_000);
  log(`a second later, state ${kept.state}; registry: ${await registry()}`);

  await kept.stop();
  log(`stopped, state ${kept.state}; registry: ${await registry()}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

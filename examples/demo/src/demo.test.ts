import { etcd } from '@etc/client';
import type {} from '@etc/etcd-launcher';
import { mockEtcd } from '@etc/mock';
import { describe, expect, inject, it } from 'vitest';
import { demo } from './demo.js';

async function run(client: ReturnType<typeof etcd>): Promise<string[]> {
  const lines: string[] = [];
  try {
    await demo(client, (line) => lines.push(line));
  } finally {
    await client.close();
  }
  return lines;
}

describe('the demo', () => {
  it('runs on the mock and on a real etcd with the same story', async () => {
    const onMock = await run(mockEtcd());
    const onEtcd = await run(etcd(inject('etcdUrl')));
    const shape = (lines: string[]) =>
      lines.map((line) => line.replace(/\d+/g, 'N').replace(/expires \S+/, 'expires T'));
    expect(onMock).toHaveLength(14);
    expect(shape(onMock)).toEqual(shape(onEtcd));
    expect(onMock).toContain(
      'update   with a stale prevValue: TestFailed: [101] Compare failed ([hello != hello, world])',
    );
  });
});

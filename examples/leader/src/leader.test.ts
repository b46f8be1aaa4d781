import { mockEtcd } from '@etc/mock';
import { describe, expect, it } from 'vitest';
import { leader } from './leader.js';

describe('the leader example', () => {
  it('elects one replica at a time, in order, and the observer follows', async () => {
    const client = mockEtcd();
    const lines: string[] = [];
    try {
      await leader(client, (line) => lines.push(line));
    } finally {
      await client.close();
    }
    const observed = lines.filter((line) => line.startsWith('observer:'));
    expect(observed).toEqual([
      'observer: leader is (none)',
      'observer: leader is node-a',
      'observer: leader is node-b',
      'observer: leader is node-c',
      'observer: leader is (none)',
    ]);
    expect(lines.filter((line) => line.endsWith('resigned'))).toHaveLength(3);
  }, 15_000);
});

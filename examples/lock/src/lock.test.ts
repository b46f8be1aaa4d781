import { mockEtcd } from '@etc/mock';
import { describe, expect, it } from 'vitest';
import { lockExample } from './lock.js';

describe('the lock example', () => {
  it('serves the workers one at a time in order, and the impatient one gives up', async () => {
    const client = mockEtcd();
    const lines: string[] = [];
    try {
      await lockExample(client, (line) => lines.push(line));
    } finally {
      await client.close();
    }
    expect(lines.filter((line) => line.includes('got the lock'))).toEqual([
      expect.stringMatching(/^worker-1: got the lock \(token \d+, holders now 1\)$/),
      expect.stringMatching(/^worker-2: got the lock \(token \d+, holders now 1\)$/),
      expect.stringMatching(/^worker-3: got the lock \(token \d+, holders now 1\)$/),
    ]);
    expect(lines).toContain('impatient: gave up waiting (TimeoutError)');
  }, 15_000);
});

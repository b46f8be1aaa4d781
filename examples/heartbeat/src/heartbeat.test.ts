import { mockEtcd } from '@etc/mock';
import { describe, expect, it } from 'vitest';
import { heartbeat } from './heartbeat.js';

describe('the heartbeat example', () => {
  it('registers, survives past its TTL, comes back after a delete and removes itself', async () => {
    const client = mockEtcd();
    const lines: string[] = [];
    try {
      await heartbeat(client, (line) => lines.push(line));
    } finally {
      await client.close();
    }
    expect(lines[0]).toBe('keepNode: ready');
    expect(lines).toContain('keepNode: recreated');
    expect(lines.at(-1)).toBe('stopped, state stopped; registry: (empty)');
  }, 15_000);
});

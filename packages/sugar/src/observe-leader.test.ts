import { MockStore, mockEtcd } from '@etc/mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { observeLeader } from './observe-leader.js';

describe('observeLeader on the mock', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sees the election end when a directory above it is removed', async () => {
    const client = mockEtcd({ store: new MockStore() });
    await client.append('/app/e', 'leader');
    const controller = new AbortController();
    const leaders = observeLeader(client, '/app/e', { signal: controller.signal });
    expect(await leaders.next()).toEqual({ value: 'leader', done: false });
    const next = leaders.next();
    await client.delete('/app', { recursive: true });
    expect(await next).toEqual({ value: undefined, done: false });
    controller.abort();
    expect(await leaders.next()).toEqual({ value: undefined, done: true });
  });

  it('ignores keys deeper than the candidates, and follows the lowest candidate', async () => {
    const client = mockEtcd({ store: new MockStore() });
    const first = await client.append('/e', 'a');
    const leaders = observeLeader(client, '/e');
    expect(await leaders.next()).toEqual({ value: 'a', done: false });
    const next = leaders.next();
    await client.set('/e/zz/deeper', 'not a candidate');
    await client.append('/e', 'b');
    await client.delete(first.key);
    expect(await next).toEqual({ value: 'b', done: false });
    await leaders.return();
  });
});

import { describe, expect, it } from 'vitest';
import { ClusterMismatch } from '../errors.js';
import { Call } from './call.js';
import { ClusterGuard } from './cluster-id.js';
import { compose, type Send } from './layer.js';

/** A core that reports an answer from `endpoint` with `clusterId`, then resolves. */
const answering =
  (answers: Array<[string, string | undefined]>): Send =>
  async (call) => {
    const [endpoint, clusterId] = answers.shift() as [string, string | undefined];
    call.answered({ endpoint, clusterId });
    return endpoint;
  };

describe('ClusterGuard', () => {
  it('remembers the first cluster id and refuses an answer with another one', async () => {
    const guard = new ClusterGuard();
    const send = compose(
      answering([
        ['http://a', undefined],
        ['http://a', ''],
        ['http://a', 'aaaa'],
        ['http://b', 'aaaa'],
        ['http://c', 'cccc'],
        ['http://b', undefined],
      ]),
      [guard],
    );
    const call = () => send(new Call('get', {}, 'read'));
    // Answers without an id neither set nor break anything.
    await expect(call()).resolves.toBe('http://a');
    await expect(call()).resolves.toBe('http://a');
    expect(guard.clusterId).toBeUndefined();
    await expect(call()).resolves.toBe('http://a');
    expect(guard.clusterId).toBe('aaaa');
    await expect(call()).resolves.toBe('http://b');
    const error = await call().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterMismatch);
    expect(error).toMatchObject({ expected: 'aaaa', actual: 'cccc', endpoint: 'http://c' });
    // The id stays the first one seen.
    expect(guard.clusterId).toBe('aaaa');
    await expect(call()).resolves.toBe('http://b');
  });

  it('checks every answer of a call (a call that answers twice, as a re-issued wait does)', async () => {
    const guard = new ClusterGuard();
    const send = compose(
      async (call) => {
        call.answered({ endpoint: 'http://a', clusterId: 'aaaa' });
        call.answered({ endpoint: 'http://z', clusterId: 'zzzz' });
        return 'unreachable';
      },
      [guard],
    );
    await expect(send(new Call('get', {}, 'wait'))).rejects.toBeInstanceOf(ClusterMismatch);
  });
});

import { EventIndexCleared, encodeGet } from '@etc/client';
import { describe, expect } from 'vitest';
import type { BackendFactory } from '../backend.js';
import { rejection, scenario } from './context.js';
import { expectEtcdError } from './expect-error.js';

/** How many writes push the first one out of the 1000-event history, with a margin. */
const writes = 1010;

/** The 1000-event history and error 401. */
export function historyScenarios(factory: BackendFactory): void {
  describe('event history', () => {
    scenario(
      factory,
      'after more than 1000 events an old waitIndex gives 401 EventIndexCleared',
      async (t) => {
        const first = await t.client.set(t.key('h'), '0');
        const firstIndex = first.modifiedIndex as number;
        const lanes = 16;
        await Promise.all(
          Array.from({ length: lanes }, async (_, lane) => {
            for (let i = lane; i < writes; i += lanes) await t.client.set(t.key(`h${lane}`), String(i));
          }),
        );
        const error = await rejection(t.client.wait(t.key('h'), { index: firstIndex, timeout: 5000 }));
        const err = expectEtcdError(error, EventIndexCleared, {
          errorCode: 401,
          message: 'The event in requested index is outdated and cleared',
          cause: `the requested history has been cleared [${(error as EventIndexCleared).index - 999}/${firstIndex}]`,
        });
        t.expectIndexAfter(err.index, first.etcdIndex, writes);
        const raw = await t.backend.raw(encodeGet({ key: t.key('h'), wait: true, waitIndex: firstIndex }));
        expect(raw.status).toBe(400);
        expect(JSON.parse(raw.body).errorCode).toBe(401);
        expect(raw.headers['x-etcd-index']).toBe(String(JSON.parse(raw.body).index));
        const last = await t.client.set(t.key('h'), 'last');
        const startOfHistory = last.etcdIndex - 999;
        const fromStart = await t.client.wait(t.key('h'), { index: startOfHistory, timeout: 5000 });
        expect(fromStart.modifiedIndex).toBe(last.modifiedIndex);
        const lane = await t.client.wait(t.key('h0'), { index: startOfHistory, timeout: 5000 });
        expect(lane.key).toBe(t.key('h0'));
        expect(lane.modifiedIndex).toBeGreaterThanOrEqual(startOfHistory);
      },
      60_000,
    );
  });
}

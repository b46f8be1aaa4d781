/**
 * Compiled with `exactOptionalPropertyTypes: true` (tsconfig.exact.json) as well as with the
 * project's settings: every optional option field of the helpers accepts `undefined`, so a value
 * that may be missing (a signal passed through, a configured interval) can be handed on as it is.
 */
import type { Client } from '@etc/client';
import { describe, it } from 'vitest';
import { campaign } from '../src/campaign.js';
import { keepNode } from '../src/keep-node.js';
import { lock } from '../src/lock.js';
import { observeLeader } from '../src/observe-leader.js';
import type { LeaseOptions } from '../src/options.js';

declare const client: Client;
declare const maybeSignal: AbortSignal | undefined;
declare const maybeNumber: number | undefined;
declare const maybeText: string | undefined;

describe('optional option fields of the helpers under exactOptionalPropertyTypes', () => {
  it('accept undefined', () => {
    const lease: LeaseOptions = { ttl: 10, interval: maybeNumber, signal: maybeSignal, onEvent: undefined };
    void keepNode(client, '/svc/a', 'v', lease);
    void campaign(client, '/e', 'v', { ttl: 10, interval: undefined, signal: maybeSignal });
    void lock(client, '/l', { ttl: 10, value: maybeText, signal: maybeSignal, onEvent: undefined });
    void observeLeader(client, '/e', { signal: maybeSignal });
  });
});

/**
 * Compiled with `exactOptionalPropertyTypes: true` (tsconfig.exact.json) as well as with the
 * project's settings: every optional option field accepts `undefined`, so a value that may be
 * missing (`set.index`, a signal passed through) can be handed on as it is.
 */

import type { SetResult } from '@etc/protocol';
import { describe, it } from 'vitest';
import type { Client } from './client.js';
import type { WatchOptions } from './watch.js';

declare const client: Client;
declare const set: SetResult;
declare const maybeSignal: AbortSignal | undefined;
declare const maybeNumber: number | undefined;
declare const maybeBoolean: boolean | undefined;
declare const maybeText: string | undefined;

describe('optional option fields under exactOptionalPropertyTypes', () => {
  it('accept undefined', () => {
    const watchOptions: WatchOptions = {
      index: set.index,
      recursive: maybeBoolean,
      signal: maybeSignal,
      giveUpAfter: maybeNumber,
    };
    void client.watch('/k', watchOptions);
    void client.watch('/k', {
      index: undefined,
      recursive: undefined,
      signal: undefined,
      giveUpAfter: undefined,
    });
    void client.get('/k', {
      recursive: maybeBoolean,
      sorted: maybeBoolean,
      quorum: maybeBoolean,
      timeout: maybeNumber,
      signal: maybeSignal,
    });
    void client.wait('/k', {
      index: set.index,
      recursive: maybeBoolean,
      timeout: maybeNumber,
      signal: maybeSignal,
    });
    void client.set('/k', 'v', {
      ttl: maybeNumber,
      dir: undefined,
      refresh: maybeBoolean,
      prevValue: maybeText,
      prevIndex: set.index,
    });
    void client.create('/k', 'v', { ttl: maybeNumber, dir: undefined, timeout: maybeNumber });
    void client.update('/k', 'v', { prevIndex: set.index, prevValue: maybeText });
    void client.append('/q', 'v', { ttl: maybeNumber });
    void client.delete('/k', {
      dir: maybeBoolean,
      recursive: maybeBoolean,
      prevValue: maybeText,
      prevIndex: set.index,
    });
    void client.refresh('/k', 5, { prevIndex: set.index, prevValue: maybeText });
  });
});

describe('administration arguments under exactOptionalPropertyTypes', () => {
  it('accept undefined for optional lists and options', async () => {
    const maybeList: string[] | undefined = undefined;
    await client.auth.addRole('r', { read: maybeList, write: maybeList });
    await client.auth.grantPermissions('r', { read: ['/a/*'], write: maybeList });
    await client.auth.addUser('u', 'p', maybeList, { timeout: maybeNumber, signal: maybeSignal });
    await client.cluster.health({ timeout: maybeNumber, signal: maybeSignal });
  });
});

/** The public surface: the main entry exports what the README documents; helpers are in `/internal`. */

import * as main from '@etc/protocol';
import * as internal from '@etc/protocol/internal';
import { describe, expect, it } from 'vitest';

const helpers = [
  'checkTlsOptions',
  'compareBytes',
  'describe',
  'Ecode',
  'etcdErrorFor',
  'etcdErrorMessages',
  'formEncode',
  'headerValue',
  'parseEtcdTime',
  'resultFor',
];

describe('@etc/protocol', () => {
  it('keeps adapter-author helpers out of the main entry', () => {
    for (const name of helpers) expect(Object.keys(main), name).not.toContain(name);
  });

  it('offers them at @etc/protocol/internal', () => {
    expect(Object.keys(internal).sort()).toEqual([...helpers].sort());
  });

  it('exports the documented groups from the main entry', () => {
    const documented = [
      // results and nodes
      'EtcdResult',
      'Got',
      'Set',
      'SetResult',
      'Updated',
      'Created',
      'ComparedThenSwapped',
      'Deleted',
      'Expired',
      'ComparedThenDeleted',
      'Node',
      'Value',
      'Directory',
      // errors
      'EtcException',
      'EtcdError',
      'KeyNotFound',
      'ConnectionError',
      'ConnectionRefused',
      'TimedOut',
      'OutcomeUnknown',
      'ClientClosed',
      'HTTPError',
      'InvalidResponse',
      // decoder, encoders, key rules
      'decodeResponse',
      'decodeResult',
      'decodeNode',
      'parseBody',
      'BODY_EXCERPT_LENGTH',
      'encodeGet',
      'encodeSet',
      'encodeAppend',
      'encodeDelete',
      'normalizeKey',
      'keyPath',
      'isHiddenKey',
      'isWellFormedText',
      // policy layers
      'compose',
      'Call',
      'Closing',
      'deadline',
      'failover',
      'ClusterGuard',
      'diagnostics',
      'channels',
      'backoff',
      'classifyFailure',
      'mayRetry',
      'watchSees',
      'PushIterator',
    ];
    for (const name of documented) expect(Object.keys(main), name).toContain(name);
  });
});

import { describe, expect, it } from 'vitest';
import { Layout } from '../layout.js';
import type { Event, KeyValue } from '../proto/messages.js';
import { historyMatch, liveMatch, translate } from './events.js';

const layout = new Layout('/p');
const kv = (key: string, rev: number, value = '', extra: Partial<KeyValue> = {}): KeyValue => ({
  key,
  value,
  createRevision: rev,
  modRevision: rev,
  version: 1,
  lease: 0n,
  ...extra,
});
const put = (k: KeyValue, prevKv?: KeyValue): Event => ({ type: 0, kv: k, prevKv });
const del = (key: string, rev: number, prevKv: KeyValue): Event => ({ type: 1, kv: kv(key, rev), prevKv });
const record = (rev: number, action: string, key: string, refresh = false) =>
  put(kv('/p//event', rev, JSON.stringify(refresh ? { action, key, refresh } : { action, key })));

describe('v3 events as v2 events', () => {
  it('a write with its action record is that action, with node and prevNode', () => {
    const event = translate(
      layout,
      [
        put(kv('/p/a/', 7)),
        put(kv('/p/a/b', 7, 'two', { createRevision: 3 }), kv('/p/a/b', 5, 'one')),
        record(7, 'compareAndSwap', '/a/b'),
      ],
      7,
    );
    const result = event?.result(6);
    expect(result?.action).toBe('compareAndSwap');
    expect(result?.node).toMatchObject({ key: '/a/b', value: 'two', modifiedIndex: 7, createdIndex: 3 });
    expect(result?.prevNode).toMatchObject({ key: '/a/b', value: 'one', modifiedIndex: 5 });
    expect(result?.etcdIndex).toBe(6);
  });

  it('a refresh, a foreign write and a lone record wake nobody', () => {
    expect(translate(layout, [put(kv('/p/a', 4, 'v')), record(4, 'set', '/a', true)], 4)).toBeUndefined();
    expect(translate(layout, [put(kv('/elsewhere', 4, 'v'))], 4)).toBeUndefined();
  });

  it('deletes without a record are an expiry of the topmost node removed', () => {
    const event = translate(
      layout,
      [del('/p/d/', 9, kv('/p/d/', 2, '', { lease: 5n << 20n })), del('/p/d/x', 9, kv('/p/d/x', 3, 'v'))],
      9,
    );
    expect(event?.action).toBe('expire');
    expect(event?.key).toBe('/d');
    expect(event?.prevDir).toBe(true);
    expect([...(event?.removed ?? [])].sort()).toEqual(['/d', '/d/x']);
    expect(event?.result(8).node).toMatchObject({ key: '/d', modifiedIndex: 9, createdIndex: 2 });
  });

  it('matches waits by etcd v2 rules: history ignores hidden keys, live waits skip them', () => {
    const set = translate(layout, [put(kv('/p/a/_h/x', 4, 'v')), record(4, 'set', '/a/_h/x')], 4);
    if (!set) throw new Error('no event');
    expect(historyMatch('/a', true, set)).toBe(true);
    expect(liveMatch('/a', true, set)).toBe(false);
    expect(liveMatch('/a/_h/x', false, set)).toBe(true);
    expect(liveMatch('/a', false, set)).toBe(false);
    const gone = translate(
      layout,
      [del('/p/s/', 5, kv('/p/s/', 2)), del('/p/s/k', 5, kv('/p/s/k', 3, 'v')), record(5, 'delete', '/s')],
      5,
    );
    if (!gone) throw new Error('no event');
    // A removed directory reaches waits on what it held (live), and by string prefix in history.
    expect(liveMatch('/s/k', false, gone)).toBe(true);
    expect(liveMatch('/s/other', false, gone)).toBe(false);
    expect(historyMatch('/sx', false, gone)).toBe(true);
    expect(historyMatch('/t', false, gone)).toBe(false);
  });
});

/**
 * Many watches on one client share long polls: 1,000 watchers of one key, and watchers of keys
 * under a recursively watched prefix, hold a handful of connections to a real etcd (counted at a
 * TCP proxy in front of it), and every one of them sees every event.
 */
import { etcd } from '@etc/client';
import { startProxy } from '@etc/etcd-launcher';
import { expect, inject, it } from 'vitest';
import { eventually, Recorder } from './support.js';

it('1,000 watchers of a key and 100 below a recursive watch share a few connections', async () => {
  const target = new URL(inject('etcdUrl'));
  const proxy = await startProxy(target.hostname, Number(target.port));
  const watching = etcd(proxy.url);
  const writer = etcd(inject('etcdUrl'));
  try {
    const base = `/faults/shared-${process.pid}-${Date.now()}`;
    const start = await writer.set(`${base}/k`, '0');
    const from = start.index! + 1;
    const parent = new Recorder(watching, base, { index: from, recursive: true });
    const ofKey = Array.from({ length: 1000 }, () => new Recorder(watching, `${base}/k`, { index: from }));
    const below = Array.from(
      { length: 100 },
      (_, i) => new Recorder(watching, `${base}/d${i % 10}`, { index: from }),
    );
    const written: Array<number | undefined> = [];
    for (let i = 1; i <= 3; i++) written.push((await writer.set(`${base}/k`, String(i))).index);
    for (let i = 0; i < 10; i++) written.push((await writer.set(`${base}/d${i}`, 'x')).index);
    await eventually(async () => {
      for (const r of ofKey) expect(r.indexes).toEqual(written.slice(0, 3));
      for (const [i, r] of below.entries()) expect(r.indexes).toEqual([written[3 + (i % 10)]]);
      expect(parent.indexes).toEqual(written);
    }, 10_000);
    expect(proxy.accepted).toBeLessThanOrEqual(3);
  } finally {
    await Promise.all([watching.close(), writer.close()]);
    await proxy.close();
  }
});

// Runs in a scratch project outside the monorepo, against the packed tarballs installed with npm:
// the packages load, work together and share one set of classes.
import assert from 'node:assert/strict';
import { Client, EtcdError, EtcException, Got, KeyNotFound, NodeExist, Set as SetResult } from '@etc/client';
import { MockAdapter, MockStore, mockEtcd } from '@etc/mock';
import { lock } from '@etc/sugar';

const store = new MockStore();
const client = mockEtcd({ store });
assert.ok(client instanceof Client, 'mockEtcd() returns the Client class of @etc/client');
assert.ok(new Client(new MockAdapter({ store })) instanceof Client);

const set = await client.set('/smoke/a', '1');
assert.ok(set instanceof SetResult);
assert.equal(set.value, '1');

const got = await client.get('/smoke/a');
assert.ok(got instanceof Got);
assert.equal(got.value, '1');

const changes = client.watch('/smoke', { recursive: true, index: set.index + 1 })[Symbol.asyncIterator]();
const next = changes.next();
await client.set('/smoke/b', '2');
const { value: change } = await next;
assert.equal(change.key, '/smoke/b');
assert.equal(change.value, '2');
await changes.return();

await assert.rejects(client.get('/missing'), (error) => {
  assert.ok(error instanceof KeyNotFound);
  assert.ok(error instanceof EtcdError);
  assert.ok(error instanceof EtcException);
  assert.equal(error.errorCode, 100);
  assert.equal(error.code, 'ETC_ETCD_100');
  assert.match(String(error), /^KeyNotFound: \[100\] Key not found \(\/missing\)/);
  return true;
});
await assert.rejects(client.create('/smoke/a', 'again'), NodeExist);

const held = await lock(client, '/smoke/lock', { ttl: 5 });
await held.release();

await client.close();
console.log('smoke.mjs: ok');

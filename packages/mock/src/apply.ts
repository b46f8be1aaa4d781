/** Dispatches a parsed write as etcd's `apply_v2.go` does (PUT, POST, DELETE) and reads a GET. */
import type { StoreEvent } from './event.js';
import { expirationOf, type KeyRequest } from './params.js';
import type { TtlOptions, V2Store } from './v2-store.js';

/** Applies a PUT, POST or DELETE to the store; throws `StoreFailure` as etcd answers errors. */
export function applyWrite(store: V2Store, request: KeyRequest, now: number): StoreEvent {
  const { key, value, dir, prevValue, prevIndex } = request;
  const ttl: TtlOptions = { expireTime: expirationOf(request.ttl, now), refresh: request.refresh };
  switch (request.method) {
    case 'POST':
      return store.create(key, dir, value, true, ttl.expireTime, now);
    case 'DELETE':
      if (prevIndex > 0n || prevValue !== '') return store.compareAndDelete(key, prevValue, prevIndex, now);
      return store.delete(key, dir, request.recursive, now);
    case 'PUT':
      if (request.prevExist === true) {
        if (prevIndex === 0n && prevValue === '') return store.update(key, value, ttl, now);
        return store.compareAndSwap(key, prevValue, prevIndex, value, ttl, now);
      }
      if (request.prevExist === false) return store.create(key, dir, value, false, ttl.expireTime, now);
      if (prevIndex > 0n || prevValue !== '')
        return store.compareAndSwap(key, prevValue, prevIndex, value, ttl, now);
      return store.set(key, dir, value, ttl, now);
    default:
      throw new TypeError(`${request.method} is not a write`);
  }
}

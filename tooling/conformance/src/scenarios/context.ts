import { randomUUID } from 'node:crypto';
import type { Client } from '@etc/client';
import { expect, it } from 'vitest';
import { type Backend, type BackendFactory, RawUnavailable } from '../backend.js';

/** What one scenario test gets: a fresh backend, a client on it and a key prefix of its own. */
export interface ScenarioContext {
  backend: Backend;
  client: Client;
  /** A prefix no other test uses, e.g. `/conformance/1a2b3c4d5e6f`; the real etcd is shared. */
  prefix: string;
  /** `prefix` + `/` + `name`. */
  key(name: string): string;
  /** The store index now (the `X-Etcd-Index` of a read of the root). */
  currentIndex(): Promise<number>;
  /**
   * Expects `actual` to be the index `steps` writes after `base`: exactly on an exclusive backend,
   * and only later than `base` on a shared server, where other tests write too.
   */
  expectIndexAfter(actual: number | undefined, base: number, steps?: number): void;
  /** Expects an index reported at a moment when nothing was written since `base` (exact when exclusive). */
  expectIndexAtLeast(actual: number | undefined, base: number): void;
}

/**
 * Registers one test that runs `body` on a fresh backend from `factory` and always closes it.
 * `timeout` is the test's bound in milliseconds.
 */
export function scenario(
  factory: BackendFactory,
  name: string,
  body: (context: ScenarioContext) => Promise<void>,
  timeout?: number,
): void {
  const difference = factory.differences?.[name];
  if (difference !== undefined) {
    it.skip(`${name} (differs on ${factory.name}: ${difference})`, () => {});
    return;
  }
  it(
    name,
    async (test) => {
      const backend = await factory.create();
      const prefix = `/conformance/${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      const context: ScenarioContext = {
        backend,
        client: backend.client(),
        prefix,
        key: (name) => `${prefix}/${name}`,
        currentIndex: async () => (await context.client.get('/')).etcdIndex,
        expectIndexAfter(actual, base, steps = 1) {
          expect(actual).toBeTypeOf('number');
          if (backend.exclusive) expect(actual).toBe(base + steps);
          else expect(actual).toBeGreaterThanOrEqual(base + steps);
        },
        expectIndexAtLeast(actual, base) {
          expect(actual).toBeTypeOf('number');
          if (backend.exclusive) expect(actual).toBe(base);
          else expect(actual).toBeGreaterThanOrEqual(base);
        },
      };
      try {
        await body(context);
      } catch (error) {
        // A scenario that needs the v2 wire cannot run on a backend without one.
        if (error instanceof RawUnavailable) test.skip(error.message);
        throw error;
      } finally {
        await backend.close();
      }
    },
    timeout,
  );
}

/** Awaits a promise that must reject and returns the reason (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to reject, but it resolved');
}

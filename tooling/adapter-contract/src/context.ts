import { setTimeout as sleep } from 'node:timers/promises';
import type { Adapter, Layer } from '@etc/protocol';
import { afterEach, beforeEach } from 'vitest';
import type { ContractFeatures, ContractSubject, MakeAdapter } from './target.js';

/** What every check of the suite works with; one per `adapterContract` call. */
export interface ContractContext {
  /** The name given to `adapterContract`, e.g. `HttpAdapter on etcd`. */
  readonly name: string;
  readonly features: ContractFeatures;
  /** A fresh adapter for the running test, closed and disposed after it. */
  adapter(options?: { layers?: readonly Layer[]; timeout?: number }): Promise<Adapter>;
  /** A key under the running test's own prefix, e.g. `key('a')` is `/contract-x1y2/a`. */
  key(name: string): string;
  /** The running test's prefix, e.g. `/contract-x1y2`. */
  readonly prefix: string;
}

let counter = 0;

/** Registers the hooks that give each test its prefix and end its adapters. */
export function contractContext(
  name: string,
  makeAdapter: MakeAdapter,
  features: ContractFeatures,
): ContractContext {
  const subjects: ContractSubject[] = [];
  let prefix = '';
  beforeEach(() => {
    counter++;
    prefix = `/contract-${process.pid}-${Date.now().toString(36)}-${counter}`;
  });
  afterEach(async () => {
    const ending = subjects.splice(0);
    await Promise.all(
      ending.map(async (subject) => {
        await subject.adapter.close();
        await subject.dispose?.();
      }),
    );
  });
  return {
    name,
    features,
    get prefix() {
      return prefix;
    },
    key: (key) => `${prefix}/${key}`,
    async adapter(options = {}) {
      const subject = await makeAdapter({ layers: options.layers ?? [], timeout: options.timeout });
      subjects.push(subject);
      return subject.adapter;
    },
  };
}

/**
 * Settles with `'pending'` if `promise` has not settled after `ms` of real time, else with how it
 * settled. Used only to show that something does NOT happen early; `ms` is always several times the
 * time the wrong behaviour would take, so a slow machine cannot make a right adapter fail.
 */
export async function stateAfter(
  promise: Promise<unknown>,
  ms: number,
): Promise<'pending' | 'resolved' | 'rejected'> {
  const outcome = promise.then(
    () => 'resolved' as const,
    () => 'rejected' as const,
  );
  return Promise.race([outcome, sleep(ms).then(() => 'pending' as const)]);
}

/** The error `promise` rejects with (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to reject, but it resolved');
}

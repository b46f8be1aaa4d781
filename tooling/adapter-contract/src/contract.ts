import { describe } from 'vitest';
import { abortChecks } from './checks/abort.js';
import { adminChecks } from './checks/admin.js';
import { closeChecks } from './checks/close.js';
import { concurrencyChecks } from './checks/concurrency.js';
import { resultChecks } from './checks/results.js';
import { timeoutChecks } from './checks/timeouts.js';
import { userLayerChecks } from './checks/user-layers.js';
import { contractContext } from './context.js';
import type { ContractFeatures, MakeAdapter } from './target.js';

/**
 * Registers, inside a `describe(name)`, the vitest tests that every `Adapter` must pass: timeouts
 * (0, small, the default, huge, `Infinity`), abort before and during a call, close with calls in
 * flight and calls after close, concurrent calls and one signal shared by many, results of exactly
 * their classes with absent fields left absent, the user's `layers` option, and the administration
 * seam (`AdminAdapter`) unless `features.admin` is false. `makeAdapter` builds
 * a fresh adapter for a test (several per test at times, all on one server); the suite closes them
 * after each test. Call it at the top level of a test file (or inside a `describe`).
 */
export function adapterContract(
  name: string,
  makeAdapter: MakeAdapter,
  features: ContractFeatures = {},
): void {
  describe(name, () => {
    const ctx = contractContext(name, makeAdapter, features);
    timeoutChecks(ctx);
    abortChecks(ctx);
    closeChecks(ctx);
    concurrencyChecks(ctx);
    resultChecks(ctx);
    userLayerChecks(ctx);
    adminChecks(ctx);
  });
}

// Helpers shared by the tests of every package (import from '@etc/vitest-config/test-support').

/**
 * Resolves with the reason `promise` rejects with, and rejects (failing the test) when it
 * resolves instead: `expect(await failure(call())).toBeInstanceOf(TimedOut)`.
 */
export function failure(promise) {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${describeValue(value)}`);
    },
    (error) => error,
  );
}

function describeValue(value) {
  if (typeof value === 'object' && value !== null) return value.constructor?.name ?? 'an object';
  return String(value);
}

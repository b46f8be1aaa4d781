/**
 * Resolves with the reason `promise` rejects with, and rejects (failing the test) when it
 * resolves instead: `expect(await failure(call())).toBeInstanceOf(TimedOut)`.
 */
export function failure(promise: Promise<unknown>): Promise<unknown>;

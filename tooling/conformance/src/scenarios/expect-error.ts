import { EtcdError } from '@etc/client';
import { expect } from 'vitest';

/** The fields an etcd error must carry; `index` is checked only when given. */
export interface ExpectedEtcdError {
  errorCode: number;
  message: string;
  cause?: string | undefined;
  index?: number | undefined;
}

/**
 * Expects `error` to be an instance of `cls` (an `EtcdError` subclass) with exactly these
 * `errorCode`, `message` and `cause` (absent when `cause` is not given), the given `index`, a
 * `name` equal to the class's, and the `String(err)` form of the original library.
 */
export function expectEtcdError(
  error: unknown,
  cls: abstract new (...args: never[]) => EtcdError,
  expected: ExpectedEtcdError,
): EtcdError {
  expect(error).toBeInstanceOf(cls);
  expect(error).toBeInstanceOf(EtcdError);
  const err = error as EtcdError;
  expect(err.name).toBe((cls as unknown as { brand: string }).brand);
  expect(err.errorCode).toBe(expected.errorCode);
  expect(err.message).toBe(expected.message);
  expect(err.cause).toBe(expected.cause);
  if (expected.index !== undefined) expect(err.index).toBe(expected.index);
  const cause = expected.cause ? ` (${expected.cause})` : '';
  expect(String(err)).toBe(`${err.name}: [${expected.errorCode}] ${expected.message}${cause}`);
  return err;
}

/** etcd v2's errors, with its exact messages and causes (v2error/error.go, v2store/store.go). */
import type { EtcdError } from '@etc/protocol';
import { etcdErrorFor, etcdErrorMessages } from '@etc/protocol/internal';

/** The v2 error codes the keys API answers. */
export const Ecode = {
  KeyNotFound: 100,
  TestFailed: 101,
  NotFile: 102,
  NotDir: 104,
  NodeExist: 105,
  RootROnly: 107,
  DirNotEmpty: 108,
  PrevValueRequired: 201,
  TTLNaN: 202,
  IndexNaN: 203,
  RefreshValue: 211,
  RefreshTTLRequired: 212,
  EventIndexCleared: 401,
} as const;

/** The error etcd v2 answers with `code`, its `cause` (omitted when empty) and the store index. */
export function v2Error(code: number, cause: string | undefined, index: number): EtcdError {
  return etcdErrorFor({
    errorCode: code,
    message: etcdErrorMessages[code],
    cause: cause || undefined,
    index,
  });
}

/** The cause of a failed compare, as etcd writes it: `[a != b]`, `[1 != 21]` or both. */
export function compareCause(
  prevValue: string | undefined,
  prevIndex: number | undefined,
  value: string,
  modifiedIndex: number,
): string | undefined {
  const valueMatch = prevValue === undefined || prevValue === value;
  const indexMatch = prevIndex === undefined || prevIndex === 0 || prevIndex === modifiedIndex;
  if (valueMatch && indexMatch) return undefined;
  const values = `[${prevValue ?? ''} != ${value}]`;
  const indexes = `[${prevIndex ?? 0} != ${modifiedIndex}]`;
  if (!valueMatch && !indexMatch) return `${values} ${indexes}`;
  return valueMatch ? indexes : values;
}

/** etcd v2's errors, with its exact messages and causes (v2error/error.go, v2store/store.go). */
import type { EtcdError } from '@etc/protocol';
import { Ecode, etcdErrorFor, etcdErrorMessages } from '@etc/protocol/internal';

export { Ecode };

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

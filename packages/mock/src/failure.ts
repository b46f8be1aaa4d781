/** An etcd v2 error raised inside the mock store, before it is written to the wire. */
import type { WireError } from '@etc/protocol';
import { Ecode, etcdErrorMessages } from '@etc/protocol/internal';

export { Ecode };

/** A failed store or parse step: etcd's code, its cause string (omitted when empty) and index. */
export class StoreFailure extends Error {
  constructor(
    readonly errorCode: number,
    readonly causeText: string | undefined,
    readonly index: number,
  ) {
    super(etcdErrorMessages[errorCode] ?? `etcd error ${errorCode}`);
    this.name = 'StoreFailure';
  }

  /** The wire body of this error. */
  toWire(): WireError {
    const wire: WireError = { errorCode: this.errorCode, message: this.message, index: this.index };
    if (this.causeText) wire.cause = this.causeText;
    return wire;
  }
}

/** The HTTP status etcd sends with an error code (v2error `StatusCode`). */
export function statusOf(errorCode: number): number {
  switch (errorCode) {
    case 100:
      return 404;
    case 101:
    case 105:
      return 412;
    case 102:
    case 108:
      return 403;
    case 110:
      return 401;
    case 300:
    case 301:
      return 500;
    default:
      return 400;
  }
}

/** An etcd v2 error raised inside the mock store, before it is written to the wire. */
import type { WireError } from '@etc/protocol';
import { etcdErrorMessages } from '@etc/protocol/internal';

/** etcd's error codes that the keys API can answer (v2error/error.go). */
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
  InvalidField: 209,
  InvalidForm: 210,
  RefreshValue: 211,
  RefreshTTLRequired: 212,
  EventIndexCleared: 401,
} as const;

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

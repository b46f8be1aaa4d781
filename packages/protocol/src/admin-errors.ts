/**
 * Errors of the administration surface (members, stats, auth). etcd answers these paths with
 * `{"message": "..."}` and an HTTP status, not with an etcd error code; they become an
 * `AdminError` (or the subclass of its status) carrying etcd's message and the status. A request
 * refused for its credentials is not one of these: it is `Unauthorized` (110), as on the keys API.
 *
 * ```
 * EtcException
 * ├── AdminError           statusCode, endpoint: any other refusal (400 bad peer URL, 410 removed member, ...)
 * │   ├── AdminNotFound     404: no such member, user or role
 * │   ├── AdminConflict     409: a peer URL already in use, a user or role that exists, auth already on/off
 * │   └── AdminForbidden    403: the root role cannot change; stats of a member that is not the leader
 * └── AdminNotSupported     the adapter (or the mock) cannot do this administration request
 * ```
 */
import { EtcException } from './errors.js';

/** An administration request that etcd refused: `message` is etcd's, `statusCode` its HTTP status. */
export class AdminError extends EtcException {
  static override readonly brand: string = 'AdminError';
  static override readonly code: string = 'ETC_ADMIN_ERROR';
  /** The HTTP status etcd answered with. */
  readonly statusCode: number;
  /** The endpoint that answered. */
  readonly endpoint: string | undefined;

  constructor(
    statusCode: number,
    message: string,
    options?: { endpoint?: string | undefined; cause?: unknown },
  ) {
    super(message, options);
    this.statusCode = statusCode;
    this.endpoint = options?.endpoint;
  }

  override toString(): string {
    return `${this.name}: [HTTP ${this.statusCode}] ${this.message}`;
  }
}

/** 404: the member, user or role named does not exist (e.g. `No such member: 8e9e05c52164694d`). */
export class AdminNotFound extends AdminError {
  static override readonly brand: string = 'AdminNotFound';
  static override readonly code: string = 'ETC_ADMIN_NOT_FOUND';
}

/** 409: the change conflicts with what exists (`membership: peerURL exists`, `auth: User bob already exists.`). */
export class AdminConflict extends AdminError {
  static override readonly brand: string = 'AdminConflict';
  static override readonly code: string = 'ETC_ADMIN_CONFLICT';
}

/** 403: the change is not allowed (`auth: Cannot modify role root: is root role.`, `not current leader`). */
export class AdminForbidden extends AdminError {
  static override readonly brand: string = 'AdminForbidden';
  static override readonly code: string = 'ETC_ADMIN_FORBIDDEN';
}

/**
 * The adapter has no administration surface (a custom adapter, the v3 adapter), or this request is
 * one it cannot serve (the mock is a single member: it cannot add or remove members). Nothing was sent.
 */
export class AdminNotSupported extends EtcException {
  static override readonly brand: string = 'AdminNotSupported';
  static override readonly code: string = 'ETC_ADMIN_NOT_SUPPORTED';
}

/** The `AdminError` class for an HTTP status. */
export function adminErrorFor(
  statusCode: number,
  message: string,
  options?: { endpoint?: string | undefined },
): AdminError {
  const cls =
    statusCode === 404
      ? AdminNotFound
      : statusCode === 409
        ? AdminConflict
        : statusCode === 403
          ? AdminForbidden
          : AdminError;
  return new cls(statusCode, message, options);
}

/**
 * The error classes of `etc`. Every class sets `name`, carries a stable `code`, and keeps
 * `instanceof` working across duplicate installs of this package (a brand set on the instance is
 * checked, not only the prototype chain).
 */

const kBrands = Symbol.for('@etc/protocol.error-brands');

type ErrorClass = { readonly brand: string; readonly code: string };

function brandsOf(target: Function): ReadonlySet<string> {
  const brands = new Set<string>();
  let current: unknown = target;
  while (typeof current === 'function') {
    if (Object.hasOwn(current, 'brand')) brands.add((current as unknown as ErrorClass).brand);
    current = Object.getPrototypeOf(current);
  }
  return brands;
}

/** Every error this library throws on purpose. */
export class EtcException extends Error {
  /** The class's name, kept in the brand so `instanceof` survives duplicate installs. */
  static readonly brand: string = 'EtcException';
  /** The stable machine-readable code of the class. */
  static readonly code: string = 'ETC_EXCEPTION';
  /** A stable machine-readable code, e.g. `ETC_TIMED_OUT` or `ETC_ETCD_100`. */
  code: string;
  declare readonly [kBrands]: ReadonlySet<string>;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    const cls = new.target as unknown as ErrorClass;
    Object.defineProperty(this, 'name', { value: cls.brand, writable: true, configurable: true });
    Object.defineProperty(this, kBrands, { value: brandsOf(new.target) });
    this.code = cls.code;
  }

  /**
   * What `util.inspect` (and so `console.log`) shows: the first line reads as `String(error)` does
   * (an etcd error's code and cause included), then the stack and the error's own fields.
   */
  [Symbol.for('nodejs.util.inspect.custom')](
    _depth: number,
    options: object,
    inspect: (value: unknown, options: object) => string,
  ): string {
    const stack = this.stack ?? '';
    const at = stack.indexOf('\n    at ');
    const fields: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(this)) fields[key] = value;
    if (this.cause !== undefined) fields.cause = this.cause;
    const rest = Object.keys(fields).length > 0 ? ` ${inspect(fields, options)}` : '';
    return `${String(this)}${at >= 0 ? stack.slice(at) : ''}${rest}`;
  }

  // `this` is the class `instanceof` is asked about (a subclass too), so its own brand is checked.
  // biome-ignore-start lint/complexity/noThisInStatic: the receiver is the subclass being tested
  /** `instanceof` by brand, so an error from another copy of this package still matches. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    const brands = (value as { [kBrands]?: unknown })[kBrands];
    if (brands instanceof globalThis.Set) return brands.has(this.brand);
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }
  // biome-ignore-end lint/complexity/noThisInStatic: the receiver is the subclass being tested
}

/** etcd v2's error codes that the keys API answers (v2error/error.go), by name, for emulators. */
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

/** The default message etcd sends for each error code (v2error/error.go). */
export const etcdErrorMessages: Readonly<Record<number, string>> = {
  100: 'Key not found',
  101: 'Compare failed',
  102: 'Not a file',
  103: 'Reached the max number of peers in the cluster',
  104: 'Not a directory',
  105: 'Key already exists',
  106: 'The prefix of given key is a keyword in etcd',
  107: 'Root is read only',
  108: 'Directory not empty',
  109: 'Peer address has existed',
  110: 'The request requires user authentication',
  200: 'Value is Required in POST form',
  201: 'PrevValue is Required in POST form',
  202: 'The given TTL in POST form is not a number',
  203: 'The given index in POST form is not a number',
  204: 'Value or TTL is required in POST form',
  205: 'The given timeout in POST form is not a number',
  206: 'Name is required in POST form',
  207: 'Index or value is required',
  208: 'Index and value cannot both be specified',
  209: 'Invalid field',
  210: 'Invalid POST form',
  211: 'Value provided on refresh',
  212: 'A TTL must be provided on refresh',
  300: 'Raft Internal Error',
  301: 'During Leader Election',
  400: 'watcher is cleared due to etcd recovery',
  401: 'The event in requested index is outdated and cleared',
  402: 'Standby Internal Error',
  403: 'Invalid active size',
  404: 'Standby remove delay',
};

/** The fields of an etcd error body. */
export interface EtcdErrorInit {
  errorCode: number;
  message?: string | undefined;
  cause?: string | undefined;
  index?: number | undefined;
}

/**
 * An error answered by etcd itself: `errorCode`, etcd's `message`, its `cause` string (often the
 * key) and the `index` etcd reported. `String(err)` reads `KeyNotFound: [100] Key not found (/hello)`.
 */
export class EtcdError extends EtcException {
  static override readonly brand: string = 'EtcdError';
  static override readonly code: string = 'ETC_ETCD_ERROR';
  /** The etcd error code this class stands for (`undefined` on the base class). */
  static readonly errorCode: number | undefined = undefined;
  readonly errorCode: number;
  /** etcd's cause string, e.g. the key that was not found. */
  declare readonly cause: string | undefined;
  /** The etcd index at the time of the error. */
  readonly index: number;

  constructor(init: EtcdErrorInit) {
    super(init.message || etcdErrorMessages[init.errorCode] || `etcd error ${init.errorCode}`);
    this.errorCode = init.errorCode;
    Object.defineProperty(this, 'cause', { value: init.cause, writable: true, configurable: true });
    this.index = init.index ?? 0;
    this.code = `ETC_ETCD_${init.errorCode}`;
  }

  override toString(): string {
    const cause = this.cause ? ` (${this.cause})` : '';
    return `${this.name}: [${this.errorCode}] ${this.message}${cause}`;
  }
}

/* One class per etcd error code, named as in the original library. */

/**
 * Error 100: the key does not exist (a get, update, delete or refresh of a missing key); `cause` is
 * the key.
 */
export class KeyNotFound extends EtcdError {
  static override readonly brand = 'KeyNotFound';
  static override readonly errorCode = 100;
}
/** Error 101: a compare-and-swap or compare-and-delete whose `prevValue` or `prevIndex` did not match. */
export class TestFailed extends EtcdError {
  static override readonly brand = 'TestFailed';
  static override readonly errorCode = 101;
}
/**
 * Error 102: a value operation on a directory, such as a set, compare or delete without `dir` on a
 * directory.
 */
export class NotFile extends EtcdError {
  static override readonly brand = 'NotFile';
  static override readonly errorCode = 102;
}
/**
 * Error 103: the cluster has reached its maximum number of peers; defined by etcd v2 but not sent
 * by etcd 3.x.
 */
export class NoMorePeer extends EtcdError {
  static override readonly brand = 'NoMorePeer';
  static override readonly errorCode = 103;
}
/**
 * Error 104: the key's path goes through a value (a file), so it cannot be a directory; `cause` is
 * that file.
 */
export class NotDir extends EtcdError {
  static override readonly brand = 'NotDir';
  static override readonly errorCode = 104;
}
/** Error 105: the key already exists, answered to a `create` (`prevExist=false`). */
export class NodeExist extends EtcdError {
  static override readonly brand = 'NodeExist';
  static override readonly errorCode = 105;
}
/** Error 106: the key's prefix is reserved by etcd; defined by etcd v2 but not sent by etcd 3.x. */
export class KeyIsPreserved extends EtcdError {
  static override readonly brand = 'KeyIsPreserved';
  static override readonly errorCode = 106;
}
/** Error 107: a write to the root `/`, which is read-only. */
export class RootROnly extends EtcdError {
  static override readonly brand = 'RootROnly';
  static override readonly errorCode = 107;
}
/** Error 108: a delete of a directory that has children, without `recursive`. */
export class DirNotEmpty extends EtcdError {
  static override readonly brand = 'DirNotEmpty';
  static override readonly errorCode = 108;
}
/** Error 109: the peer address is already in use; defined by etcd v2 but not sent by etcd 3.x. */
export class ExistingPeerAddr extends EtcdError {
  static override readonly brand = 'ExistingPeerAddr';
  static override readonly errorCode = 109;
}
/** Error 110: authentication is enabled and the request's credentials (or the guest role) do not allow it. */
export class Unauthorized extends EtcdError {
  static override readonly brand = 'Unauthorized';
  static override readonly errorCode = 110;
}
/** Error 200: a value was required in the form; defined by etcd v2 but not sent by etcd 3.x. */
export class ValueRequired extends EtcdError {
  static override readonly brand = 'ValueRequired';
  static override readonly errorCode = 200;
}
/** Error 201: `prevValue` was sent empty. */
export class PrevValueRequired extends EtcdError {
  static override readonly brand = 'PrevValueRequired';
  static override readonly errorCode = 201;
}
/** Error 202: the `ttl` sent is not a non-negative integer. */
export class TTLNaN extends EtcdError {
  static override readonly brand = 'TTLNaN';
  static override readonly errorCode = 202;
}
/** Error 203: the `prevIndex` or `waitIndex` sent is not a non-negative integer. */
export class IndexNaN extends EtcdError {
  static override readonly brand = 'IndexNaN';
  static override readonly errorCode = 203;
}
/** Error 204: a value or a TTL was required; defined by etcd v2 but not sent by etcd 3.x. */
export class ValueOrTTLRequired extends EtcdError {
  static override readonly brand = 'ValueOrTTLRequired';
  static override readonly errorCode = 204;
}
/** Error 205: the timeout sent is not a number; defined by etcd v2 but not sent by etcd 3.x. */
export class TimeoutNaN extends EtcdError {
  static override readonly brand = 'TimeoutNaN';
  static override readonly errorCode = 205;
}
/** Error 206: a name was required; defined by etcd v2 but not sent by etcd 3.x. */
export class NameRequired extends EtcdError {
  static override readonly brand = 'NameRequired';
  static override readonly errorCode = 206;
}
/** Error 207: an index or a value was required; defined by etcd v2 but not sent by etcd 3.x. */
export class IndexOrValueRequired extends EtcdError {
  static override readonly brand = 'IndexOrValueRequired';
  static override readonly errorCode = 207;
}
/**
 * Error 208: an index and a value were both given where only one may be; defined by etcd v2 but not
 * sent by etcd 3.x.
 */
export class IndexValueMutex extends EtcdError {
  static override readonly brand = 'IndexValueMutex';
  static override readonly errorCode = 208;
}
/**
 * Error 209: a field etcd could not accept, such as a boolean that is not one, or `wait` on a
 * request that is not a GET.
 */
export class InvalidField extends EtcdError {
  static override readonly brand = 'InvalidField';
  static override readonly errorCode = 209;
}
/** Error 210: etcd could not parse the request's form or query, e.g. an invalid percent escape. */
export class InvalidForm extends EtcdError {
  static override readonly brand = 'InvalidForm';
  static override readonly errorCode = 210;
}
/** Error 211: a `refresh` that also sent a value (a refresh changes only the TTL). */
export class RefreshValue extends EtcdError {
  static override readonly brand = 'RefreshValue';
  static override readonly errorCode = 211;
}
/** Error 212: a `refresh` without a `ttl`. */
export class RefreshTTLRequired extends EtcdError {
  static override readonly brand = 'RefreshTTLRequired';
  static override readonly errorCode = 212;
}
/**
 * Error 300: etcd failed internally, typically a request that timed out in raft; the write may
 * still be applied.
 */
export class RaftInternal extends EtcdError {
  static override readonly brand = 'RaftInternal';
  static override readonly errorCode = 300;
}
/**
 * Error 301: etcd is electing a leader; defined by etcd v2 but not sent by etcd 3.x, which answers
 * 300 then.
 */
export class LeaderElect extends EtcdError {
  static override readonly brand = 'LeaderElect';
  static override readonly errorCode = 301;
}
/** Error 400: the watcher was removed by an etcd recovery; defined by etcd v2 but not sent by etcd 3.x. */
export class WatcherCleared extends EtcdError {
  static override readonly brand = 'WatcherCleared';
  static override readonly errorCode = 400;
}
/**
 * Error 401: the `waitIndex` is older than the last 1000 events etcd keeps; `client.watch()`
 * answers it with a snapshot.
 */
export class EventIndexCleared extends EtcdError {
  static override readonly brand = 'EventIndexCleared';
  static override readonly errorCode = 401;
}
/** Error 402: a standby-mode failure of etcd 0.4; defined by etcd v2 but never sent. */
export class StandbyInternal extends EtcdError {
  static override readonly brand = 'StandbyInternal';
  static override readonly errorCode = 402;
}
/** Error 403: an invalid active cluster size of etcd 0.4; defined by etcd v2 but never sent. */
export class InvalidActiveSize extends EtcdError {
  static override readonly brand = 'InvalidActiveSize';
  static override readonly errorCode = 403;
}
/** Error 404: an invalid standby remove delay of etcd 0.4; defined by etcd v2 but never sent. */
export class InvalidRemoveDelay extends EtcdError {
  static override readonly brand = 'InvalidRemoveDelay';
  static override readonly errorCode = 404;
}

const etcdErrorClasses: ReadonlyMap<number, new (init: EtcdErrorInit) => EtcdError> = new Map(
  [
    KeyNotFound,
    TestFailed,
    NotFile,
    NoMorePeer,
    NotDir,
    NodeExist,
    KeyIsPreserved,
    RootROnly,
    DirNotEmpty,
    ExistingPeerAddr,
    Unauthorized,
    ValueRequired,
    PrevValueRequired,
    TTLNaN,
    IndexNaN,
    ValueOrTTLRequired,
    TimeoutNaN,
    NameRequired,
    IndexOrValueRequired,
    IndexValueMutex,
    InvalidField,
    InvalidForm,
    RefreshValue,
    RefreshTTLRequired,
    RaftInternal,
    LeaderElect,
    WatcherCleared,
    EventIndexCleared,
    StandbyInternal,
    InvalidActiveSize,
    InvalidRemoveDelay,
  ].map((cls) => [cls.errorCode, cls]),
);

/** Builds the error class of an etcd error code; an unknown code becomes a plain `EtcdError`. */
export function etcdErrorFor(init: EtcdErrorInit): EtcdError {
  const cls = etcdErrorClasses.get(init.errorCode) ?? EtcdError;
  return new cls(init);
}

/** The server could not be reached, or the connection broke. `cause` holds the underlying error. */
export class ConnectionError extends EtcException {
  static override readonly brand: string = 'ConnectionError';
  static override readonly code: string = 'ETC_CONNECTION_ERROR';
  /** The endpoint the failed attempt went to, when there was one. */
  readonly endpoint: string | undefined;

  constructor(message: string, options?: { cause?: unknown; endpoint?: string | undefined }) {
    super(message, options);
    this.endpoint = options?.endpoint;
  }
}

/** The server refused the connection: nothing was sent, so nothing happened on the server. */
export class ConnectionRefused extends ConnectionError {
  static override readonly brand: string = 'ConnectionRefused';
  static override readonly code: string = 'ETC_CONNECTION_REFUSED';
}

/** The call's `timeout` (milliseconds) passed before an answer arrived. */
export class TimedOut extends ConnectionError {
  static override readonly brand: string = 'TimedOut';
  static override readonly code: string = 'ETC_TIMED_OUT';
  /** The timeout that passed, in milliseconds. */
  readonly timeout: number | undefined;

  constructor(
    message: string,
    options?: { cause?: unknown; endpoint?: string | undefined; timeout?: number },
  ) {
    super(message, options);
    this.timeout = options?.timeout;
  }
}

/**
 * A write whose outcome cannot be known: the request may have reached the server before the
 * connection broke, so it may or may not have been applied. It is never retried blindly; read the
 * key to learn what happened.
 */
export class OutcomeUnknown extends ConnectionError {
  static override readonly brand: string = 'OutcomeUnknown';
  static override readonly code: string = 'ETC_OUTCOME_UNKNOWN';
}

/**
 * The call was made on, or cut off by, a client that is closed (`client.close()`): nothing more is
 * sent. A write cut off while pending is an `OutcomeUnknown` instead, with this as its `cause`.
 */
export class ClientClosed extends ConnectionError {
  static override readonly brand: string = 'ClientClosed';
  static override readonly code: string = 'ETC_CLIENT_CLOSED';
}

/**
 * A member answered with another `X-Etcd-Cluster-Id` than the first one this client saw: it belongs
 * to a different cluster, so its indexes and data must not be mixed with the others'. Such a member
 * is not used; this error is thrown when no member of the expected cluster answered.
 */
export class ClusterMismatch extends EtcException {
  static override readonly brand: string = 'ClusterMismatch';
  static override readonly code: string = 'ETC_CLUSTER_MISMATCH';
  /** The cluster id the client saw first (the cluster it talks to). */
  readonly expected: string;
  /** The cluster id the member answered with. */
  readonly actual: string;
  /** The member that answered with `actual`. */
  readonly endpoint: string;

  constructor(expected: string, actual: string, endpoint: string) {
    super(
      `${endpoint} belongs to etcd cluster ${actual}, not to cluster ${expected} that this client ` +
        'talks to; no member of the expected cluster answered',
    );
    this.expected = expected;
    this.actual = actual;
    this.endpoint = endpoint;
  }
}

/** How many characters of a response body an `HTTPError` keeps. */
export const BODY_EXCERPT_LENGTH = 200;

/** Replaces what looks like an HTTP credential (`Basic <base64>`, `Bearer <token>`) with `[redacted]`. */
function redactCredentials(text: string): string {
  return text.replace(/\b(Basic|Bearer)(\s+)[A-Za-z0-9+/=._~-]+/gi, '$1$2[redacted]');
}

/** A non-etcd HTTP failure: a response with no etcd error body (a 502 from a proxy, a bare 503). */
export class HTTPError extends EtcException {
  static override readonly brand: string = 'HTTPError';
  static override readonly code: string = 'ETC_HTTP_ERROR';
  /** The HTTP status code of the response. */
  readonly statusCode: number;
  /**
   * The start of the response body (at most `BODY_EXCERPT_LENGTH`, 200, characters), for diagnostics. etcd never echoes
   * request headers, but a proxy might: credentials that look like an `Authorization` value
   * (`Basic ...`, `Bearer ...`) are replaced by `[redacted]`.
   */
  readonly body: string;

  constructor(statusCode: number, message: string, body = '', options?: { cause?: unknown }) {
    super(message, options);
    this.statusCode = statusCode;
    this.body = redactCredentials(body.slice(0, BODY_EXCERPT_LENGTH));
  }
}

/**
 * A response that claims success but is not what etcd sends: a body that is not JSON, is cut
 * short, or lacks the fields of a result.
 */
export class InvalidResponse extends HTTPError {
  static override readonly brand: string = 'InvalidResponse';
  static override readonly code: string = 'ETC_INVALID_RESPONSE';
}

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

  // `this` is the class `instanceof` is asked about (a subclass too), so its own brand is checked.
  // biome-ignore-start lint/complexity/noThisInStatic: the receiver is the subclass being tested
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    const brands = (value as { [kBrands]?: unknown })[kBrands];
    if (brands instanceof globalThis.Set) return brands.has(this.brand);
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }
  // biome-ignore-end lint/complexity/noThisInStatic: the receiver is the subclass being tested
}

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
export class KeyNotFound extends EtcdError {
  static override readonly brand = 'KeyNotFound';
  static override readonly errorCode = 100;
}
export class TestFailed extends EtcdError {
  static override readonly brand = 'TestFailed';
  static override readonly errorCode = 101;
}
export class NotFile extends EtcdError {
  static override readonly brand = 'NotFile';
  static override readonly errorCode = 102;
}
export class NoMorePeer extends EtcdError {
  static override readonly brand = 'NoMorePeer';
  static override readonly errorCode = 103;
}
export class NotDir extends EtcdError {
  static override readonly brand = 'NotDir';
  static override readonly errorCode = 104;
}
export class NodeExist extends EtcdError {
  static override readonly brand = 'NodeExist';
  static override readonly errorCode = 105;
}
export class KeyIsPreserved extends EtcdError {
  static override readonly brand = 'KeyIsPreserved';
  static override readonly errorCode = 106;
}
export class RootROnly extends EtcdError {
  static override readonly brand = 'RootROnly';
  static override readonly errorCode = 107;
}
export class DirNotEmpty extends EtcdError {
  static override readonly brand = 'DirNotEmpty';
  static override readonly errorCode = 108;
}
export class ExistingPeerAddr extends EtcdError {
  static override readonly brand = 'ExistingPeerAddr';
  static override readonly errorCode = 109;
}
export class Unauthorized extends EtcdError {
  static override readonly brand = 'Unauthorized';
  static override readonly errorCode = 110;
}
export class ValueRequired extends EtcdError {
  static override readonly brand = 'ValueRequired';
  static override readonly errorCode = 200;
}
export class PrevValueRequired extends EtcdError {
  static override readonly brand = 'PrevValueRequired';
  static override readonly errorCode = 201;
}
export class TTLNaN extends EtcdError {
  static override readonly brand = 'TTLNaN';
  static override readonly errorCode = 202;
}
export class IndexNaN extends EtcdError {
  static override readonly brand = 'IndexNaN';
  static override readonly errorCode = 203;
}
export class ValueOrTTLRequired extends EtcdError {
  static override readonly brand = 'ValueOrTTLRequired';
  static override readonly errorCode = 204;
}
export class TimeoutNaN extends EtcdError {
  static override readonly brand = 'TimeoutNaN';
  static override readonly errorCode = 205;
}
export class NameRequired extends EtcdError {
  static override readonly brand = 'NameRequired';
  static override readonly errorCode = 206;
}
export class IndexOrValueRequired extends EtcdError {
  static override readonly brand = 'IndexOrValueRequired';
  static override readonly errorCode = 207;
}
export class IndexValueMutex extends EtcdError {
  static override readonly brand = 'IndexValueMutex';
  static override readonly errorCode = 208;
}
export class InvalidField extends EtcdError {
  static override readonly brand = 'InvalidField';
  static override readonly errorCode = 209;
}
export class InvalidForm extends EtcdError {
  static override readonly brand = 'InvalidForm';
  static override readonly errorCode = 210;
}
export class RefreshValue extends EtcdError {
  static override readonly brand = 'RefreshValue';
  static override readonly errorCode = 211;
}
export class RefreshTTLRequired extends EtcdError {
  static override readonly brand = 'RefreshTTLRequired';
  static override readonly errorCode = 212;
}
export class RaftInternal extends EtcdError {
  static override readonly brand = 'RaftInternal';
  static override readonly errorCode = 300;
}
export class LeaderElect extends EtcdError {
  static override readonly brand = 'LeaderElect';
  static override readonly errorCode = 301;
}
export class WatcherCleared extends EtcdError {
  static override readonly brand = 'WatcherCleared';
  static override readonly errorCode = 400;
}
export class EventIndexCleared extends EtcdError {
  static override readonly brand = 'EventIndexCleared';
  static override readonly errorCode = 401;
}
export class StandbyInternal extends EtcdError {
  static override readonly brand = 'StandbyInternal';
  static override readonly errorCode = 402;
}
export class InvalidActiveSize extends EtcdError {
  static override readonly brand = 'InvalidActiveSize';
  static override readonly errorCode = 403;
}
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

/** A non-etcd HTTP failure: a response with no etcd error body (a 502 from a proxy, a bare 503). */
export class HTTPError extends EtcException {
  static override readonly brand: string = 'HTTPError';
  static override readonly code: string = 'ETC_HTTP_ERROR';
  /** The HTTP status code of the response. */
  readonly statusCode: number;
  /** The start of the response body (at most 512 characters), for diagnostics. */
  readonly body: string;

  constructor(statusCode: number, message: string, body = '', options?: { cause?: unknown }) {
    super(message, options);
    this.statusCode = statusCode;
    this.body = body.slice(0, 512);
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

/**
 * `@etc/protocol/internal`: helpers for the packages that implement adapters (`@etc/transport-http`,
 * `@etc/mock`, a v3-backed adapter) and their tests, kept out of `@etc/protocol`'s main entry so
 * that applications, which get that entry through `@etc/client`, do not see them. They may change
 * in any release; applications should not import them.
 *
 * - `resultFor(fields)`: the result class of an etcd action (`get` → `Got`...), as the decoder builds it.
 * - `etcdErrorFor(init)`, `etcdErrorMessages`: the error class of an etcd error code, and etcd's
 *   message for each code (for an emulator answering as etcd does).
 * - `formEncode(params)`: `application/x-www-form-urlencoded` text of a `WireRequest`'s parameters.
 * - `headerValue(headers, name)`: the first value of a lower-cased response header.
 * - `parseEtcdTime(text)`: an RFC 3339 time as etcd writes it, as a `Date`.
 * - `describe(value)`: a short description of a value for `TypeError` messages.
 * - `Ecode`: etcd v2's error codes by name; `compareBytes(a, b)`: etcd's key order (Go string order).
 * - `checkTlsOptions(tls)`: the check of a transport's `tls` option (`TlsOptions`).
 */
export { headerValue, parseEtcdTime } from './decode.js';
export { formEncode } from './encode.js';
export { Ecode, etcdErrorFor, etcdErrorMessages } from './errors.js';
export { compareBytes, describe } from './keys.js';
export { resultFor } from './results.js';
export { checkTlsOptions, type TlsOptions } from './tls-options.js';

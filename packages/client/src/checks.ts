import { isWellFormedText } from '@etc/protocol';
import { describe } from '@etc/protocol/internal';

/** The checked fields of any options object, as the client passes them on. */
export interface CheckedOptions {
  recursive?: boolean;
  sorted?: boolean;
  quorum?: boolean;
  dir?: boolean;
  refresh?: boolean;
  ttl?: number;
  index?: number;
  prevIndex?: number;
  prevValue?: string;
  timeout?: number;
  signal?: AbortSignal;
  giveUpAfter?: number;
}

type Kind = 'boolean' | 'ttl' | 'index' | 'text' | 'timeout' | 'signal';

const kinds: Readonly<Record<keyof CheckedOptions, Kind>> = {
  recursive: 'boolean',
  sorted: 'boolean',
  quorum: 'boolean',
  dir: 'boolean',
  refresh: 'boolean',
  ttl: 'ttl',
  index: 'index',
  prevIndex: 'index',
  prevValue: 'text',
  timeout: 'timeout',
  signal: 'signal',
  giveUpAfter: 'timeout',
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Checks one named argument or option against its rule (see `CheckedOptions`). */
export function checkArgument(method: string, name: keyof CheckedOptions, value: unknown): void {
  const kind = kinds[name];
  const fail = (what: string) => {
    throw new TypeError(`${method}(): ${name} must be ${what}, got ${describe(value)}`);
  };
  switch (kind) {
    case 'boolean':
      if (typeof value !== 'boolean') fail('a boolean');
      return;
    case 'ttl':
      if (!Number.isSafeInteger(value) || (value as number) < 0)
        fail('a non-negative integer number of seconds');
      return;
    case 'index':
      if (!Number.isSafeInteger(value) || (value as number) < 1) fail('a positive integer etcd index');
      return;
    case 'text':
      if (typeof value !== 'string') fail('a string');
      if (!isWellFormedText(value as string)) fail('valid Unicode text (it has a lone surrogate)');
      return;
    case 'timeout':
      if (typeof value !== 'number' || Number.isNaN(value) || value <= 0)
        fail('a positive number of milliseconds');
      return;
    case 'signal':
      if (!(value instanceof AbortSignal)) fail('an AbortSignal');
      return;
  }
}

/**
 * Checks an options object against the names a method allows, before any request is sent.
 * Throws a `TypeError` that names the method, the option and what was wrong.
 */
export function checkOptions(
  method: string,
  options: unknown,
  allowed: ReadonlyArray<keyof CheckedOptions>,
): CheckedOptions {
  if (options === undefined) return {};
  if (!isPlainObject(options))
    throw new TypeError(`${method}(): options must be an object, got ${describe(options)}`);
  for (const [name, value] of Object.entries(options)) {
    if (!(allowed as readonly string[]).includes(name)) {
      throw new TypeError(`${method}(): unknown option "${name}" (allowed: ${allowed.join(', ')})`);
    }
    if (value !== undefined) checkArgument(method, name as keyof CheckedOptions, value);
  }
  return options as CheckedOptions;
}

/** Checks a value: a string of valid Unicode. */
export function checkValue(method: string, value: unknown): string {
  if (typeof value !== 'string') {
    throw new TypeError(
      `${method}(): value must be a string, got ${describe(value)} (etcd stores text; convert it first)`,
    );
  }
  if (!isWellFormedText(value))
    throw new TypeError(`${method}(): value is not valid Unicode (it has a lone surrogate)`);
  return value;
}

/**
 * Splits the `(key, value, options)` / `(key, options)` forms of the writing methods: the second
 * argument is either the value or, when there is none, the options object.
 */
export function splitValueAndOptions(
  method: string,
  second: unknown,
  third: unknown,
): { value: string | undefined; options: unknown } {
  if (typeof second === 'string') return { value: checkValue(method, second), options: third };
  if (second === undefined) return { value: undefined, options: third };
  if (isPlainObject(second) && third === undefined) return { value: undefined, options: second };
  return { value: checkValue(method, second), options: third };
}

/** A value xor `dir: true`: both, or neither (unless `neitherAllowed`), is a `TypeError`. */
export function checkValueXorDir(
  method: string,
  value: string | undefined,
  dir: boolean | undefined,
  neitherAllowed = false,
): void {
  if (value !== undefined && dir)
    throw new TypeError(`${method}(): a value and dir: true exclude each other`);
  if (value === undefined && !dir && !neitherAllowed) {
    throw new TypeError(`${method}(): give a value (a string) or { dir: true }`);
  }
}

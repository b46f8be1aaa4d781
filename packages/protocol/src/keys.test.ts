import { describe, expect, it } from 'vitest';
import { isHiddenKey, keyPath, normalizeKey } from './keys.js';

describe('normalizeKey', () => {
  it('names the same key with or without leading and trailing slashes', () => {
    expect(normalizeKey('/a/b')).toBe('/a/b');
    expect(normalizeKey('a/b')).toBe('/a/b');
    expect(normalizeKey('/a/b/')).toBe('/a/b');
    expect(normalizeKey('a//b')).toBe('/a/b');
    expect(normalizeKey('/')).toBe('/');
  });
  it('rejects empty keys, dot segments and non-strings with TypeError', () => {
    expect(() => normalizeKey('')).toThrow(TypeError);
    expect(() => normalizeKey('/a/./b')).toThrow(/"\." segment/);
    expect(() => normalizeKey('..')).toThrow(/"\.\." segment/);
    expect(() => normalizeKey(5)).toThrow(/key must be a string, got number 5/);
    expect(() => normalizeKey(undefined)).toThrow(TypeError);
    expect(() => normalizeKey('/a\uD800')).toThrow(/not valid Unicode/);
  });
  it('keeps dots inside segments', () => {
    expect(normalizeKey('/a.b/...')).toBe('/a.b/...');
    expect(normalizeKey('/.hidden/a')).toBe('/.hidden/a');
    expect(() => normalizeKey('/a/.')).toThrow(TypeError);
  });
  it('returns keys already in normal form unchanged', () => {
    for (const key of ['/a', '/a/b_c-d~e/f.g', '/0/1/2']) expect(normalizeKey(key)).toBe(key);
  });
});

describe('keyPath', () => {
  it('percent-encodes each segment', () => {
    expect(keyPath('/a b?c#d%e')).toBe('/v2/keys/a%20b%3Fc%23d%25e');
    expect(keyPath('/x+y&z/日本')).toBe('/v2/keys/x%2By%26z/%E6%97%A5%E6%9C%AC');
    expect(keyPath('/')).toBe('/v2/keys/');
    expect(keyPath('/plain/key_1.x')).toBe('/v2/keys/plain/key_1.x');
    expect(keyPath('/.dot')).toBe('/v2/keys/.dot');
  });
});

describe('isHiddenKey', () => {
  it('looks at the last segment only', () => {
    expect(isHiddenKey('/a/_b')).toBe(true);
    expect(isHiddenKey('/_a/b')).toBe(false);
  });
});

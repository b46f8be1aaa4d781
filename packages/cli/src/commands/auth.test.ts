import { expect, test } from 'vitest';
import { canonicalPath, rolesLine } from './auth.js';

test("user get's Roles line: one space per role before the names, as etcdctl v2 printed it", () => {
  expect(rolesLine([])).toBe('Roles: ');
  expect(rolesLine(['root'])).toBe('Roles:  root');
  expect(rolesLine(['app', 'root'])).toBe('Roles:   app root');
});

test("etcd's canonical paths", () => {
  expect(canonicalPath('a/../b')).toBe('/b');
  expect(canonicalPath('/a/*')).toBe('/a/*');
  expect(canonicalPath('/a/')).toBe('/a/');
});

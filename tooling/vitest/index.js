// Shared vitest settings: every package's tests import sibling packages from their `src/`
// through the `@etc/source` export condition, so no build is needed before testing.
import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

const conditions = ['@etc/source', 'import', 'module', 'node', 'default'];
const noUnhandledRejections = fileURLToPath(new URL('./no-unhandled-rejections.js', import.meta.url));

/** Builds one vitest project for a package; `name` is the project name shown in reports. */
export function etcProject(name, overrides = {}) {
  return defineProject({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['@etc/source'] } },
    ...overrides,
    test: {
      name,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      setupFiles: [noUnhandledRejections],
      testTimeout: 20_000,
      hookTimeout: 60_000,
      ...overrides.test,
    },
  });
}

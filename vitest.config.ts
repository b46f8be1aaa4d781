import { defineConfig } from 'vitest/config';

// One vitest run covers every package; the global setup starts a real etcd (or uses ETCD_URL)
// and hands its address to the tests that need one. On CI a JSON report is kept for the summary
// line that .ci/run prints.
export default defineConfig({
  test: {
    projects: ['packages/*', 'tooling/*', 'examples/*'],
    globalSetup: ['./tooling/etcd/src/global-setup.ts'],
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: '.ci/results/vitest.json' },
  },
});

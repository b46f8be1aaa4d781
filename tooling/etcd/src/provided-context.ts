// Types of the values the global setup hands to tests through vitest's `inject()`. A test file that
// calls `inject('etcdUrl')` sees them once it imports `@etc/etcd-launcher` (even `import type {}`).
import type {} from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Client URL of the etcd the whole run shares: `ETCD_URL`, or a member the global setup started. */
    etcdUrl: string;
    /** Path of the etcd binary for tests that start their own members; '' when none is available. */
    etcdBin: string;
  }
}

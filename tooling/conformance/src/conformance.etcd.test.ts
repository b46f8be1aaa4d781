import type {} from '@etc/etcd-launcher';
import { describe, inject } from 'vitest';
import { etcdBackendFactory } from './etcd-backend.js';
import { conformanceSuite } from './scenarios/suite.js';

// The etcd the whole run shares (the root global setup starts it, or ETCD_URL names it); every test
// works under a key prefix of its own.
const url = inject('etcdUrl');

describe('conformance on a real etcd', () => {
  conformanceSuite(etcdBackendFactory(url));
});

import { afterEach, beforeEach, describe, vi } from 'vitest';
import { mockBackendFactory } from './mock-backend.js';
import { conformanceSuite } from './scenarios/suite.js';
import { ttlScenarios } from './scenarios/ttl.js';
import { waitScenarios } from './scenarios/waits.js';

describe('conformance on the mock', () => {
  conformanceSuite(mockBackendFactory());
});

// The same time-dependent scenarios with time driven by fake timers, as unit tests use the mock.
describe('conformance on the mock under fake timers', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  ttlScenarios(mockBackendFactory());
  waitScenarios(mockBackendFactory());
});

export { type Backend, type BackendFactory, type BackendName, RawUnavailable } from './backend.js';
export { compareResponses, expirationTolerance } from './differential/compare.js';
export { EventLog } from './differential/event-log.js';
export { OpGenerator, type Peek } from './differential/generator.js';
export {
  describeOp,
  inOrderSegment,
  type Op,
  type ParamValue,
  renderKey,
  renderOp,
  type Segment,
} from './differential/ops.js';
export { Prng } from './differential/prng.js';
export { formatMismatch } from './differential/report.js';
export { DifferentialRunner, type Mismatch, type RunOutcome } from './differential/runner.js';
export { type ShrinkBudget, type ShrinkResult, shrink } from './differential/shrink.js';
export { etcdBackend, etcdBackendFactory, rawHttp } from './etcd-backend.js';
export { mockBackend, mockBackendFactory } from './mock-backend.js';
export { argumentScenarios } from './scenarios/arguments.js';
export { compareScenarios } from './scenarios/compare.js';
export { rejection, type ScenarioContext, scenario } from './scenarios/context.js';
export { errorScenarios } from './scenarios/errors.js';
export { type ExpectedEtcdError, expectEtcdError } from './scenarios/expect-error.js';
export { historyScenarios } from './scenarios/history.js';
export { inOrderName, inOrderScenarios } from './scenarios/in-order.js';
export { awkwardNames, keyScenarios } from './scenarios/keys.js';
export { listingScenarios } from './scenarios/listing.js';
export { resultScenarios } from './scenarios/results.js';
export { conformanceSuite } from './scenarios/suite.js';
export { ttlScenarios } from './scenarios/ttl.js';
export { waitScenarios } from './scenarios/waits.js';
export { watchScenarios } from './scenarios/watch.js';
export { v3Backend, v3BackendFactory } from './v3-backend.js';

import type { BackendFactory } from '../backend.js';
import { argumentScenarios } from './arguments.js';
import { compareScenarios } from './compare.js';
import { errorScenarios } from './errors.js';
import { historyScenarios } from './history.js';
import { inOrderScenarios } from './in-order.js';
import { keyScenarios } from './keys.js';
import { listingScenarios } from './listing.js';
import { resultScenarios } from './results.js';
import { ttlScenarios } from './ttl.js';
import { waitScenarios } from './waits.js';
import { watchScenarios } from './watch.js';

export {
  argumentScenarios,
  compareScenarios,
  errorScenarios,
  historyScenarios,
  inOrderScenarios,
  keyScenarios,
  listingScenarios,
  resultScenarios,
  ttlScenarios,
  waitScenarios,
  watchScenarios,
};

/** Registers every scenario of the suite against backends from `factory`. */
export function conformanceSuite(factory: BackendFactory): void {
  resultScenarios(factory);
  compareScenarios(factory);
  ttlScenarios(factory);
  inOrderScenarios(factory);
  listingScenarios(factory);
  waitScenarios(factory);
  keyScenarios(factory);
  errorScenarios(factory);
  argumentScenarios(factory);
  historyScenarios(factory);
  watchScenarios(factory);
}

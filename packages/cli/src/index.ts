export { CliError } from './cli-error.js';
export { parseDuration } from './duration.js';
export { ExitCode } from './exit-codes.js';
export type { Io } from './io.js';
export { type RunOptions, run } from './run.js';

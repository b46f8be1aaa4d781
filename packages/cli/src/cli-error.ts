import { ExitCode } from './exit-codes.js';

/**
 * A failure etcctl reports itself: `lines` go to stderr as they are (etcdctl v2's wording), and the
 * process exits with `exitCode`. Thrown by commands for bad usage and for what they check.
 */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  readonly lines: readonly string[];

  constructor(exitCode: ExitCode, ...lines: string[]) {
    super(lines.join('\n'));
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.lines = lines;
  }
}

/** Bad usage reported as etcdctl v2's `handleError` does: `Error:  key required`, exit 1. */
export function usage(message: string): CliError {
  return new CliError(ExitCode.badArgs, `Error:  ${message}`);
}

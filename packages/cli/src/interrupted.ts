import { constants } from 'node:os';

/** The signals that end etcctl with 128 + their number, as a shell reports a process they killed. */
export const endingSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** One of `endingSignals`. */
export type EndingSignal = (typeof endingSignals)[number];

/**
 * Why a running watch was stopped: the process got `signalName` (Ctrl+C is SIGINT). The reason of
 * the abort signal that `run()` is given; `exec-watch` passes the same signal on to its command.
 */
export class Interrupted extends Error {
  readonly signalName: EndingSignal;

  constructor(signalName: EndingSignal) {
    super(`interrupted by ${signalName}`);
    this.name = 'Interrupted';
    this.signalName = signalName;
  }

  /** The exit status for it: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP. */
  get exitStatus(): number {
    return statusFor(this.signalName);
  }
}

/** 128 + the signal's number. */
export function statusFor(signalName: EndingSignal): number {
  return 128 + constants.signals[signalName];
}

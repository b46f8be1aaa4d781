import type { Call } from './call.js';

/** Sends one call onwards and settles with its result (what it is depends on the operation). */
export type Send = (call: Call) => Promise<unknown>;

/**
 * One cross-cutting policy, written once and shared by every adapter: it wraps the `Send` below it
 * (as undici's interceptors wrap a dispatch). Layers see calls, never the transport.
 */
export interface Layer {
  /** A short name for diagnostics and inspection, e.g. `deadline`. */
  readonly name: string;
  /** Returns a send function that does this layer's part around `next`. */
  wrap(next: Send): Send;
}

/**
 * Composes `layers` around an adapter's `core`: the first layer is the outermost, so a call passes
 * through the layers in array order, then reaches the core.
 */
export function compose(core: Send, layers: readonly Layer[]): Send {
  let send = core;
  for (let i = layers.length - 1; i >= 0; i--) send = (layers[i] as Layer).wrap(send);
  return send;
}

/**
 * What a call's signal must offer to undici, the mock and the layers: the shape of an `AbortSignal`
 * that undici accepts for `request({ signal })`, without its cost.
 */
export interface AbortLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  /** Calls `listener` when the signal aborts. */
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  /** Forgets a listener added with `addEventListener`. */
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** Something told once when a signal aborts. */
export interface AbortTarget {
  /** Called once with the signal's reason when it aborts. */
  onAbort(reason: unknown): void;
}

const targets = new WeakMap<AbortSignal, Set<AbortTarget>>();

function fanOut(this: AbortSignal): void {
  const set = targets.get(this);
  targets.delete(this);
  if (set) for (const target of set) target.onAbort(this.reason);
}

/**
 * Tells `target` when `signal` aborts. However many calls and watches share one `AbortSignal`, it
 * carries one listener of ours (so Node never warns `MaxListenersExceededWarning`). Returns false,
 * and tells nothing, when the signal has already aborted.
 */
export function listenForAbort(signal: AbortSignal, target: AbortTarget): boolean {
  if (signal.aborted) return false;
  let set = targets.get(signal);
  if (set === undefined) {
    set = new Set();
    targets.set(signal, set);
    signal.addEventListener('abort', fanOut, { once: true });
  }
  set.add(target);
  return true;
}

/** Stops telling `target` about `signal`; the signal's listener goes with the last target. */
export function stopListening(signal: AbortSignal, target: AbortTarget): void {
  const set = targets.get(signal);
  if (set === undefined || !set.delete(target) || set.size > 0) return;
  targets.delete(signal);
  signal.removeEventListener('abort', fanOut);
}

/**
 * A cheap one-shot abort signal: `aborted`, `reason`, and listeners, as undici and `MockStore`
 * use them. `abort` keeps the first reason.
 */
export class Abortable implements AbortLike, AbortTarget {
  aborted = false;
  reason: unknown = undefined;
  #listeners: Array<() => void> | undefined;

  /** Calls `listener` once when this aborts; after the abort, does nothing. */
  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.aborted) return;
    if (this.#listeners === undefined) this.#listeners = [listener];
    else this.#listeners.push(listener);
  }

  /** Forgets a listener added with `addEventListener`. */
  removeEventListener(_type: 'abort', listener: () => void): void {
    const list = this.#listeners;
    if (list === undefined) return;
    const at = list.indexOf(listener);
    if (at >= 0) list.splice(at, 1);
  }

  /** Aborts with `reason` (the first reason wins) and tells every listener once. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const list = this.#listeners;
    this.#listeners = undefined;
    if (list) for (const listener of list) listener();
  }

  /** `abort(reason)`, as the target of another signal. */
  onAbort(reason: unknown): void {
    this.abort(reason);
  }
}

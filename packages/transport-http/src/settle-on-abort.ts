/**
 * Settles with `promise`, or rejects with `signal`'s reason as soon as it aborts, whichever comes
 * first. undici keeps a request that waits for its connection (a TLS handshake that never ends)
 * until its own connect timeout, even when the request's signal aborts: this makes the call's own
 * deadline and abort win. A late result is released by `onLate` (e.g. to destroy a response body);
 * a late failure is ignored.
 */
export function settleOnAbort<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  onLate: (value: T) => void,
): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.then(onLate, () => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const onAbort = (): void => {
      done = true;
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (done) onLate(value);
        else resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        if (!done) reject(error);
      },
    );
  });
}

/** Promises started now and awaited later. */

/** A promise started now and awaited later, whose failure is never reported as unhandled. */
export interface Settled<T> {
  result(): Promise<T>;
}

/**
 * Wraps `promise`, already running, so that it may fail before anyone awaits it: the failure
 * comes out of `result()`, and never as an unhandled rejection meanwhile.
 */
export function settled<T>(promise: Promise<T>): Settled<T> {
  promise.catch(() => {});
  return { result: () => promise };
}

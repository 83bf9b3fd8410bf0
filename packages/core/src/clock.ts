import type { Clock } from './types.js';

/** The real timers. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (handle: unknown) => clearTimeout(handle as NodeJS.Timeout),
});

/** Resolves after `ms` on the given clock. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    clock.setTimeout(resolve, ms);
  });
}

/** What `withTimeout` resolves with when the timer wins. */
export const TIMED_OUT: unique symbol = Symbol('lameduck.timedOut');

/** Races `promise` against a timer; resolves `TIMED_OUT` when the timer wins and clears it otherwise. */
export function withTimeout<T>(clock: Clock, promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  return new Promise((resolve, reject) => {
    const handle = clock.setTimeout(() => resolve(TIMED_OUT), ms);
    promise.then(
      (value) => {
        clock.clearTimeout(handle);
        resolve(value);
      },
      (error: unknown) => {
        clock.clearTimeout(handle);
        reject(error);
      },
    );
  });
}

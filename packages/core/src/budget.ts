import { ErrorCodes, LameduckError } from './errors.js';
import type { ResolvedOptions } from './types.js';

/** The time the sequence needs and the time Kubernetes gives it, in milliseconds. */
export interface Budget {
  /** Grace period minus preStop sleep: what is left after SIGTERM. */
  readonly availableMs: number;
  /** drain delay + drain timeout + cleanup timeout + margin. */
  readonly neededMs: number;
  /** When the overall deadline forces the exit, counted from the start of the shutdown. */
  readonly deadlineMs: number;
}

export function computeBudget(options: ResolvedOptions): Budget {
  const availableMs = (options.gracePeriodSeconds - options.preStopSleepSeconds) * 1000;
  const neededMs =
    options.drainDelayMs + options.drainTimeoutMs + options.cleanupTimeoutMs + options.marginMs;
  // Half the margin stays between the forced exit and SIGKILL.
  const deadlineMs = Math.max(0, availableMs - options.marginMs / 2);
  return { availableMs, neededMs, deadlineMs };
}

/**
 * Fails fast when the sequence cannot fit in the grace period: an impossible budget is a
 * clear error at start-up, not a surprise SIGKILL during a rollout.
 */
export function checkBudget(options: ResolvedOptions): Budget {
  const budget = computeBudget(options);
  const { preStopSleepSeconds: preStop, gracePeriodSeconds: grace } = options;
  if (preStop > grace) {
    throw new LameduckError(
      ErrorCodes.BUDGET_EXCEEDED,
      `lameduck: preStopSleepSeconds (${preStop}) is longer than gracePeriodSeconds (${grace}); Kubernetes rejects a preStop sleep longer than terminationGracePeriodSeconds. Lower the preStop sleep or raise terminationGracePeriodSeconds.`,
    );
  }
  if (budget.neededMs > budget.availableMs) {
    const neededSeconds = Math.ceil(budget.neededMs / 1000) + preStop;
    throw new LameduckError(
      ErrorCodes.BUDGET_EXCEEDED,
      `lameduck: the shutdown budget does not fit: drainDelayMs (${options.drainDelayMs}) + drainTimeoutMs (${options.drainTimeoutMs}) + cleanupTimeoutMs (${options.cleanupTimeoutMs}) + marginMs (${options.marginMs}) = ${budget.neededMs} ms, but gracePeriodSeconds (${grace}) - preStopSleepSeconds (${preStop}) leaves ${budget.availableMs} ms. Raise terminationGracePeriodSeconds (and gracePeriodSeconds / LAMEDUCK_GRACE_PERIOD_SECONDS) to at least ${neededSeconds}, or shorten the delay or timeouts.`,
    );
  }
  return budget;
}

import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  checkBudget,
  computeBudget,
  createLameduck,
  ENV_VARS,
  ErrorCodes,
  LameduckError,
  type LameduckOptions,
  resolveOptions,
} from '../src/index.js';

function budgetError(options: LameduckOptions): LameduckError {
  try {
    createLameduck({ env: {}, signalSource: new EventEmitter(), exit: () => {}, ...options });
  } catch (error) {
    expect(error).toBeInstanceOf(LameduckError);
    return error as LameduckError;
  }
  throw new Error('expected the budget check to throw');
}

describe('budget', () => {
  it('defaults fit the default 30 s grace period, inside and outside Kubernetes', () => {
    const inside = computeBudget(resolveOptions({ env: { KUBERNETES_SERVICE_HOST: 'k' } }));
    expect(inside).toEqual({
      availableMs: 30_000,
      neededMs: 5000 + 10_000 + 5000 + 2000,
      deadlineMs: 29_000,
    });
    expect(() => checkBudget(resolveOptions({ env: { KUBERNETES_SERVICE_HOST: 'k' } }))).not.toThrow();
  });

  it('a budget that does not fit is a coded error at construction naming the numbers and the fix', () => {
    const error = budgetError({ gracePeriodSeconds: 10, drainDelayMs: 5000 });
    expect(error.code).toBe(ErrorCodes.BUDGET_EXCEEDED);
    // needed 5000 + 10000 + 5000 + 2000 = 22000 ms, available 10000 ms, suggested grace period 22 s.
    for (const number of ['22000', '10000', '22', 'gracePeriodSeconds', 'drainTimeoutMs']) {
      expect(error.message).toContain(number);
    }
  });

  it('the preStop sleep counts against the grace period', () => {
    // 0 + 10000 + 5000 + 2000 = 17000 fits 30 s, but not 30 s - 15 s of preStop sleep.
    expect(() => resolveOptions({ env: {} })).not.toThrow();
    expect(budgetError({ preStopSleepSeconds: 15 }).code).toBe(ErrorCodes.BUDGET_EXCEEDED);
    const fits = computeBudget(resolveOptions({ env: {}, preStopSleepSeconds: 13 }));
    expect(fits.availableMs).toBe(17_000);
    expect(() => checkBudget(resolveOptions({ env: {}, preStopSleepSeconds: 13 }))).not.toThrow();
  });

  it('a preStop sleep longer than the grace period is its own budget error', () => {
    expect(budgetError({ preStopSleepSeconds: 40, gracePeriodSeconds: 30 }).code).toBe(
      ErrorCodes.BUDGET_EXCEEDED,
    );
  });

  it('the grace period can come from LAMEDUCK_GRACE_PERIOD_SECONDS', () => {
    expect(budgetError({ env: { [ENV_VARS.gracePeriodSeconds]: '10' } }).code).toBe(
      ErrorCodes.BUDGET_EXCEEDED,
    );
    expect(budgetError({ env: { [ENV_VARS.gracePeriodSeconds]: '0' } }).code).toBe(
      ErrorCodes.BUDGET_EXCEEDED,
    );
  });

  it('a budget that fits exactly is accepted', () => {
    const options = {
      gracePeriodSeconds: 4,
      drainDelayMs: 1000,
      drainTimeoutMs: 1000,
      cleanupTimeoutMs: 1000,
      marginMs: 1000,
    };
    expect(computeBudget(resolveOptions({ env: {}, ...options })).neededMs).toBe(4000);
    expect(() => createLameduck({ env: {}, signalSource: new EventEmitter(), ...options })).not.toThrow();
    expect(budgetError({ ...options, marginMs: 1001 }).code).toBe(ErrorCodes.BUDGET_EXCEEDED);
  });

  it('the overall deadline leaves half the margin before SIGKILL', () => {
    const budget = computeBudget(resolveOptions({ env: {}, gracePeriodSeconds: 20, preStopSleepSeconds: 5 }));
    expect(budget.availableMs).toBe(15_000);
    expect(budget.deadlineMs).toBe(14_000);
  });
});

import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  createLameduck,
  DEFAULTS,
  ENV_VARS,
  ErrorCodes,
  LameduckError,
  type LameduckOptions,
  resolveOptions,
} from '../src/index.js';

/** Runs `fn`, expects a LameduckError, returns it. */
function catchError(fn: () => unknown): LameduckError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(LameduckError);
    return error as LameduckError;
  }
  throw new Error('expected a LameduckError, nothing was thrown');
}

const quiet = { env: {}, signalSource: new EventEmitter(), exit: () => {} } as const;

describe('options: invalid values give coded errors', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['drainDelayMs', { drainDelayMs: -1 }],
    ['drainDelayMs', { drainDelayMs: Number.NaN }],
    ['drainDelayMs', { drainDelayMs: Number.POSITIVE_INFINITY }],
    ['drainDelayMs', { drainDelayMs: '5000' }],
    ['drainDelayMs', { drainDelayMs: null }],
    ['drainTimeoutMs', { drainTimeoutMs: -0.5 }],
    ['drainTimeoutMs', { drainTimeoutMs: '10s' }],
    ['closeWindowMs', { closeWindowMs: Number.NaN }],
    ['webSocketCloseCode', { webSocketCloseCode: 1006 }],
    ['cleanupTimeoutMs', { cleanupTimeoutMs: Number.NEGATIVE_INFINITY }],
    ['hookTimeoutMs', { hookTimeoutMs: true }],
    ['marginMs', { marginMs: -2000 }],
    ['gracePeriodSeconds', { gracePeriodSeconds: 1.5 }],
    ['gracePeriodSeconds', { gracePeriodSeconds: '30' }],
    ['preStopSleepSeconds', { preStopSleepSeconds: 2.5 }],
    ['preStopSleepSeconds', { preStopSleepSeconds: -1 }],
    ['failReadiness', { failReadiness: 'sometimes' }],
    ['failReadiness', { failReadiness: 1 }],
    ['signals', { signals: 'SIGTERM' }],
    ['signals', { signals: true }],
    ['signals', { signals: ['SIGNOPE'] }],
    ['signals', { signals: [15] }],
    ['signals', { signals: ['SIGKILL'] }],
    ['signals', { signals: ['SIGSTOP'] }],
    ['forceExitCode', { forceExitCode: 0 }],
    ['forceExitCode', { forceExitCode: 256 }],
    ['forceExitCode', { forceExitCode: 1.5 }],
    ['forceExitCode', { forceExitCode: '130' }],
    ['exitOnStopped', { exitOnStopped: 'yes' }],
    ['readyOnListening', { readyOnListening: 1 }],
    ['summary', { summary: null }],
    ['logger', { logger: {} }],
    ['logger', { logger: { info() {}, warn() {}, error() {} } }],
    ['logger', { logger: null }],
    ['exit', { exit: 'process.exit' }],
    ['signalSource', { signalSource: {} }],
    ['signalSource', { signalSource: { on() {} } }],
    ['clock', { clock: { now: () => 0 } }],
    ['env', { env: 'production' }],
    ['env', { env: null }],
  ];

  it.each(cases)('%s = %o', (name, options) => {
    const error = catchError(() => createLameduck({ ...quiet, ...options } as LameduckOptions));
    expect(error.code).toBe(ErrorCodes.INVALID_OPTION);
    // The message names the option (the identifier, not prose).
    expect(error.message).toContain(name);
  });

  it('rejects an unknown key (a typo) with its own code', () => {
    const error = catchError(() => createLameduck({ ...quiet, drainDelay: 5000 } as LameduckOptions));
    expect(error.code).toBe(ErrorCodes.UNKNOWN_OPTION);
    expect(error.message).toContain('drainDelay');
  });

  it.each([null, 'fast', 42, [1]])('rejects options that are not an object: %o', (options) => {
    expect(catchError(() => createLameduck(options as LameduckOptions)).code).toBe(ErrorCodes.INVALID_OPTION);
  });

  it('validates before installing anything: a failed construction leaves no signal listener', () => {
    const signalSource = new EventEmitter();
    catchError(() => createLameduck({ env: {}, signalSource, drainDelayMs: -1 }));
    expect(signalSource.listenerCount('SIGTERM')).toBe(0);
  });
});

describe('options: environment variables', () => {
  const badEnv: Array<[string, string]> = [
    [ENV_VARS.drainDelayMs, 'abc'],
    [ENV_VARS.drainDelayMs, '-1'],
    [ENV_VARS.drainDelayMs, '5s'],
    [ENV_VARS.drainDelayMs, '1e3'],
    [ENV_VARS.drainTimeoutMs, 'Infinity'],
    [ENV_VARS.drainTimeoutMs, 'NaN'],
    [ENV_VARS.cleanupTimeoutMs, '0x10'],
    [ENV_VARS.hookTimeoutMs, '3000ms'],
    [ENV_VARS.marginMs, '2,000'],
    [ENV_VARS.gracePeriodSeconds, '30.5'],
    [ENV_VARS.gracePeriodSeconds, '30s'],
    [ENV_VARS.preStopSleepSeconds, '-5'],
    [ENV_VARS.preStopSleepSeconds, '1.5'],
    [ENV_VARS.failReadiness, 'later'],
    [ENV_VARS.failReadiness, 'IMMEDIATELY'],
  ];

  it.each(badEnv)('%s=%s', (variable, value) => {
    const error = catchError(() => resolveOptions({ env: { [variable]: value } }));
    expect(error.code).toBe(ErrorCodes.INVALID_ENV);
    expect(error.message).toContain(variable);
  });

  it('reads every duration and failReadiness from LAMEDUCK_* variables', () => {
    const resolved = resolveOptions({
      env: {
        [ENV_VARS.drainDelayMs]: '1500',
        [ENV_VARS.drainTimeoutMs]: '2500',
        [ENV_VARS.cleanupTimeoutMs]: ' 3500 ',
        [ENV_VARS.hookTimeoutMs]: '1000',
        [ENV_VARS.marginMs]: '500',
        [ENV_VARS.gracePeriodSeconds]: '60',
        [ENV_VARS.preStopSleepSeconds]: '5',
        [ENV_VARS.failReadiness]: 'after-drain-delay',
      },
    });
    expect(resolved).toMatchObject({
      drainDelayMs: 1500,
      drainTimeoutMs: 2500,
      cleanupTimeoutMs: 3500,
      hookTimeoutMs: 1000,
      marginMs: 500,
      gracePeriodSeconds: 60,
      preStopSleepSeconds: 5,
      failReadiness: 'after-drain-delay',
    });
  });

  it('every ENV_VARS entry names a resolved option and starts with LAMEDUCK_', () => {
    const resolved = resolveOptions({ env: {} });
    for (const [key, variable] of Object.entries(ENV_VARS)) {
      expect(variable.startsWith('LAMEDUCK_')).toBe(true);
      // The preStop token is a secret: it never appears in the resolved (loggable) options.
      if (key === 'preStopToken') continue;
      expect(Object.keys(resolved)).toContain(key);
    }
  });

  it('explicit options win over the environment', () => {
    const resolved = resolveOptions({
      drainDelayMs: 100,
      failReadiness: 'never',
      gracePeriodSeconds: 40,
      env: {
        [ENV_VARS.drainDelayMs]: '9000',
        [ENV_VARS.failReadiness]: 'immediately',
        [ENV_VARS.gracePeriodSeconds]: '10',
      },
    });
    expect(resolved.drainDelayMs).toBe(100);
    expect(resolved.failReadiness).toBe('never');
    expect(resolved.gracePeriodSeconds).toBe(40);
  });

  it('an explicit option is used even when the env value for it is malformed', () => {
    expect(resolveOptions({ drainDelayMs: 0, env: { [ENV_VARS.drainDelayMs]: 'soon' } }).drainDelayMs).toBe(
      0,
    );
  });

  it('empty env values count as unset', () => {
    const resolved = resolveOptions({
      env: { [ENV_VARS.drainTimeoutMs]: '', [ENV_VARS.failReadiness]: ' ' },
    });
    expect(resolved.drainTimeoutMs).toBe(DEFAULTS.drainTimeoutMs);
    expect(resolved.failReadiness).toBe(DEFAULTS.failReadiness);
  });

  it('drain delay defaults to 5 s inside Kubernetes and 0 elsewhere', () => {
    expect(resolveOptions({ env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' } }).drainDelayMs).toBe(
      DEFAULTS.drainDelayMsInKubernetes,
    );
    expect(resolveOptions({ env: {} }).drainDelayMs).toBe(DEFAULTS.drainDelayMsElsewhere);
    expect(DEFAULTS.drainDelayMsInKubernetes).toBe(5000);
    expect(DEFAULTS.drainDelayMsElsewhere).toBe(0);
  });

  it('signals: default, custom list (deduplicated), and false', () => {
    expect(resolveOptions({ env: {} }).signals).toEqual(['SIGTERM', 'SIGINT']);
    expect(resolveOptions({ env: {}, signals: ['SIGUSR2', 'SIGUSR2'] }).signals).toEqual(['SIGUSR2']);
    expect(resolveOptions({ env: {}, signals: false }).signals).toEqual([]);
  });
});

describe('options: resolution', () => {
  it('never mutates the caller object and returns a frozen one', () => {
    const options = Object.freeze({ drainDelayMs: 10, env: Object.freeze({}) });
    const resolved = resolveOptions(options);
    expect(options).toEqual({ drainDelayMs: 10, env: {} });
    expect(Object.isFrozen(resolved)).toBe(true);
  });

  it('DEFAULTS is deeply frozen', () => {
    expect(Object.isFrozen(DEFAULTS)).toBe(true);
    expect(Object.isFrozen(DEFAULTS.signals)).toBe(true);
    expect(Object.isFrozen(ENV_VARS)).toBe(true);
  });

  it('with no options and no env, everything comes from DEFAULTS', () => {
    expect(resolveOptions({ env: {} })).toEqual({
      drainDelayMs: DEFAULTS.drainDelayMsElsewhere,
      drainDelayMinMs: undefined,
      drainQuietMs: DEFAULTS.drainQuietMs,
      drainTimeoutMs: DEFAULTS.drainTimeoutMs,
      closeWindowMs: DEFAULTS.closeWindowMs,
      webSocketCloseCode: DEFAULTS.webSocketCloseCode,
      cleanupTimeoutMs: DEFAULTS.cleanupTimeoutMs,
      hookTimeoutMs: DEFAULTS.hookTimeoutMs,
      marginMs: DEFAULTS.marginMs,
      gracePeriodSeconds: DEFAULTS.gracePeriodSeconds,
      preStopSleepSeconds: DEFAULTS.preStopSleepSeconds,
      failReadiness: DEFAULTS.failReadiness,
      signals: DEFAULTS.signals,
      forceExitCode: DEFAULTS.forceExitCode,
      exitOnStopped: DEFAULTS.exitOnStopped,
      readyOnListening: DEFAULTS.readyOnListening,
      summary: DEFAULTS.summary,
      diagnostics: DEFAULTS.diagnostics,
      balancerIdleTimeoutMs: undefined,
      logLevel: DEFAULTS.logLevel,
    });
  });
});

import { constants as osConstants } from 'node:os';
import {
  DEFAULTS,
  DIAGNOSTICS_VALUES,
  ENV_VARS,
  FAIL_READINESS_VALUES,
  LOG_LEVELS,
  WEBSOCKET_CLOSE_CODES,
} from './defaults.js';
import { closestName } from './diagnostics/env-vars.js';
import { describeValue, ErrorCodes, LameduckError } from './errors.js';
import type { DiagnosticsMode, FailReadiness, LameduckOptions, LogLevel, ResolvedOptions } from './types.js';

const KNOWN_KEYS: ReadonlySet<string> = new Set([
  'drainDelayMs',
  'drainDelayMinMs',
  'drainQuietMs',
  'preStopToken',
  'drainTimeoutMs',
  'closeWindowMs',
  'webSocketCloseCode',
  'cleanupTimeoutMs',
  'hookTimeoutMs',
  'marginMs',
  'gracePeriodSeconds',
  'preStopSleepSeconds',
  'failReadiness',
  'signals',
  'forceExitCode',
  'exitOnStopped',
  'readyOnListening',
  'summary',
  'diagnostics',
  'balancerIdleTimeoutMs',
  'logger',
  'exit',
  'signalSource',
  'clock',
  'env',
]);

type DurationKey = keyof typeof ENV_VARS & keyof ResolvedOptions;
type NumericKey = Exclude<DurationKey, 'failReadiness' | 'webSocketCloseCode' | 'diagnostics' | 'logLevel'>;

function invalid(name: string, expected: string, value: unknown): LameduckError {
  return new LameduckError(
    ErrorCodes.INVALID_OPTION,
    `lameduck: option \`${name}\` expects ${expected}, instead got ${describeValue(value)}.`,
  );
}

/** Throws unless `value` is a finite number ≥ 0 (an integer when `integer`). */
export function checkDuration(name: string, value: unknown, integer = false): number {
  const expected = integer ? 'a whole number ≥ 0' : 'a finite number ≥ 0';
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw invalid(name, expected, value);
  if (integer && !Number.isInteger(value)) throw invalid(name, expected, value);
  return value;
}

function fromEnv(
  env: Readonly<Record<string, string | undefined>>,
  key: NumericKey,
  integer: boolean,
): number | undefined {
  const variable = ENV_VARS[key];
  const raw = env[variable];
  if (raw === undefined || raw.trim() === '') return undefined;
  const pattern = integer ? /^\d+$/ : /^\d+(\.\d+)?$/;
  if (!pattern.test(raw.trim())) {
    const unit = key.endsWith('Seconds') ? 'seconds' : 'milliseconds';
    throw new LameduckError(
      ErrorCodes.INVALID_ENV,
      `lameduck: environment variable ${variable} expects ${integer ? 'a whole number' : 'a number'} of ${unit} (for example ${variable}=${integer ? 30 : 5000}), instead got ${JSON.stringify(raw)}.`,
    );
  }
  return Number(raw.trim());
}

function pickNumber(
  options: LameduckOptions,
  env: Readonly<Record<string, string | undefined>>,
  key: NumericKey,
  fallback: number,
  integer = false,
): number {
  const explicit = options[key];
  if (explicit !== undefined) return checkDuration(key, explicit, integer);
  return fromEnv(env, key, integer) ?? fallback;
}

/** The adaptive delay's minimum: undefined (fixed delay) unless set; never above the maximum. */
function pickDelayMinimum(
  options: LameduckOptions,
  env: Readonly<Record<string, string | undefined>>,
  maximum: number,
): number | undefined {
  const minimum =
    options.drainDelayMinMs !== undefined
      ? checkDuration('drainDelayMinMs', options.drainDelayMinMs)
      : fromEnv(env, 'drainDelayMinMs', false);
  if (minimum !== undefined && minimum > maximum) {
    throw new LameduckError(
      ErrorCodes.INVALID_OPTION,
      `lameduck: drainDelayMinMs (${minimum}, ${ENV_VARS.drainDelayMinMs}) is above drainDelayMs (${maximum}, ${ENV_VARS.drainDelayMs}), the maximum of the adaptive drain delay. Lower the minimum or raise drainDelayMs.`,
    );
  }
  return minimum;
}

function pickFailReadiness(
  options: LameduckOptions,
  env: Readonly<Record<string, string | undefined>>,
): FailReadiness {
  const allowed = FAIL_READINESS_VALUES as readonly string[];
  const list = FAIL_READINESS_VALUES.map((v) => `'${v}'`).join(', ');
  if (options.failReadiness !== undefined) {
    if (!allowed.includes(options.failReadiness)) {
      throw invalid('failReadiness', `one of ${list}`, options.failReadiness);
    }
    return options.failReadiness;
  }
  const raw = env[ENV_VARS.failReadiness];
  if (raw === undefined || raw.trim() === '') return DEFAULTS.failReadiness;
  if (!allowed.includes(raw.trim())) {
    throw new LameduckError(
      ErrorCodes.INVALID_ENV,
      `lameduck: environment variable ${ENV_VARS.failReadiness} expects one of ${list}, instead got ${JSON.stringify(raw)}.`,
    );
  }
  return raw.trim() as FailReadiness;
}

function pickCloseCode(
  options: LameduckOptions,
  env: Readonly<Record<string, string | undefined>>,
): 1001 | 1012 {
  const allowed: readonly number[] = WEBSOCKET_CLOSE_CODES;
  const expected = 'a WebSocket close code clients reconnect on: 1001 (going away) or 1012 (service restart)';
  if (options.webSocketCloseCode !== undefined) {
    if (!allowed.includes(options.webSocketCloseCode)) {
      throw invalid('webSocketCloseCode', expected, options.webSocketCloseCode);
    }
    return options.webSocketCloseCode;
  }
  const raw = env[ENV_VARS.webSocketCloseCode];
  if (raw === undefined || raw.trim() === '') return DEFAULTS.webSocketCloseCode;
  if (!allowed.includes(Number(raw.trim()))) {
    throw new LameduckError(
      ErrorCodes.INVALID_ENV,
      `lameduck: environment variable ${ENV_VARS.webSocketCloseCode} expects ${expected}, instead got ${JSON.stringify(raw)}.`,
    );
  }
  return Number(raw.trim()) as 1001 | 1012;
}

/** One of `allowed`, from the option or else its env var (checked as strictly), else `fallback`. */
function pickChoice<T extends string>(
  name: string,
  variable: string,
  allowed: readonly T[],
  explicit: unknown,
  raw: string | undefined,
  fallback: T,
): T {
  const list = allowed.map((v) => `'${v}'`).join(', ');
  if (explicit !== undefined) {
    if (!allowed.includes(explicit as T)) throw invalid(name, `one of ${list}`, explicit);
    return explicit as T;
  }
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!allowed.includes(raw.trim() as T)) {
    throw new LameduckError(
      ErrorCodes.INVALID_ENV,
      `lameduck: environment variable ${variable} expects one of ${list}, instead got ${JSON.stringify(raw)}.`,
    );
  }
  return raw.trim() as T;
}

function pickBalancerIdleTimeout(
  options: LameduckOptions,
  env: Readonly<Record<string, string | undefined>>,
): number | undefined {
  const explicit = options.balancerIdleTimeoutMs;
  if (explicit !== undefined) return checkDuration('balancerIdleTimeoutMs', explicit, true);
  return fromEnv(env, 'balancerIdleTimeoutMs', true);
}

function pickSignals(value: LameduckOptions['signals']): readonly NodeJS.Signals[] {
  if (value === undefined) return DEFAULTS.signals;
  if (value === false) return [];
  if (!Array.isArray(value)) throw invalid('signals', 'an array of signal names or false', value);
  for (const signal of value) {
    if (typeof signal !== 'string' || !(signal in osConstants.signals)) {
      throw invalid('signals', `signal names such as 'SIGTERM'`, signal);
    }
    if (signal === 'SIGKILL' || signal === 'SIGSTOP') {
      throw invalid('signals', 'signals a process can handle (not SIGKILL or SIGSTOP)', signal);
    }
  }
  return Object.freeze([...new Set(value)]);
}

function pickBoolean(
  options: LameduckOptions,
  key: 'exitOnStopped' | 'readyOnListening' | 'summary',
): boolean {
  const value = options[key];
  if (value === undefined) return DEFAULTS[key];
  if (typeof value !== 'boolean') throw invalid(key, 'a boolean', value);
  return value;
}

function checkFunctions(options: LameduckOptions): void {
  if (options.exit !== undefined && typeof options.exit !== 'function') {
    throw invalid('exit', 'a function (code) => void', options.exit);
  }
  const logger = options.logger as unknown;
  if (logger !== undefined) {
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      if (typeof (logger as Record<string, unknown> | null)?.[level] !== 'function') {
        throw invalid('logger', `a pino-compatible logger with a ${level}() method`, logger);
      }
    }
  }
  const source = options.signalSource as unknown;
  if (source !== undefined) {
    const s = source as Record<string, unknown> | null;
    if (typeof s?.on !== 'function' || typeof s?.removeListener !== 'function') {
      throw invalid('signalSource', 'an object with on() and removeListener() (such as process)', source);
    }
  }
  const clock = options.clock as unknown;
  if (clock !== undefined) {
    const c = clock as Record<string, unknown> | null;
    if (
      typeof c?.now !== 'function' ||
      typeof c?.setTimeout !== 'function' ||
      typeof c?.clearTimeout !== 'function'
    ) {
      throw invalid('clock', 'an object with now(), setTimeout() and clearTimeout()', clock);
    }
  }
  if (options.env !== undefined && (typeof options.env !== 'object' || options.env === null)) {
    throw invalid('env', 'an object such as process.env', options.env);
  }
}

/** Whether the process runs in a Kubernetes pod (lightship's test). */
export function isKubernetes(env: Readonly<Record<string, string | undefined>>): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST);
}

/** The adapter whose own options (probe paths, `isGlobal`) an unknown-option message lists too. */
export interface OptionsContext {
  /** `@lameduck/fastify` */
  readonly adapter: string;
  /** The adapter's own option names, taken out before the core sees the rest. */
  readonly adapterKeys: readonly string[];
}

/**
 * Validates the caller's options once and builds a new resolved object (the caller's object
 * is never mutated). Order: explicit option, then `LAMEDUCK_*` env var, then DEFAULTS.
 */
export function resolveOptions(options: LameduckOptions = {}, context?: OptionsContext): ResolvedOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalid('options', 'an object', options);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_KEYS.has(key)) {
      const own = context?.adapterKeys ?? [];
      const closest = closestName(key, [...KNOWN_KEYS, ...own]);
      const ownList = own.length > 0 ? `; and of ${context?.adapter}: ${own.join(', ')}` : '';
      throw new LameduckError(
        ErrorCodes.UNKNOWN_OPTION,
        `lameduck: unknown option \`${key}\` (did you mean \`${closest}\`?). Known options: ${[...KNOWN_KEYS].join(', ')}${ownList}.`,
      );
    }
  }
  checkFunctions(options);
  const env = options.env ?? process.env;
  const delayDefault = isKubernetes(env) ? DEFAULTS.drainDelayMsInKubernetes : DEFAULTS.drainDelayMsElsewhere;
  const forceExitCode = options.forceExitCode ?? DEFAULTS.forceExitCode;
  if (
    typeof forceExitCode !== 'number' ||
    !Number.isInteger(forceExitCode) ||
    forceExitCode < 1 ||
    forceExitCode > 255
  ) {
    throw invalid('forceExitCode', 'a whole number from 1 to 255', forceExitCode);
  }
  const drainDelayMs = pickNumber(options, env, 'drainDelayMs', delayDefault);
  const drainDelayMinMs = pickDelayMinimum(options, env, drainDelayMs);
  return Object.freeze({
    drainDelayMs,
    drainDelayMinMs,
    drainQuietMs: pickNumber(options, env, 'drainQuietMs', DEFAULTS.drainQuietMs),
    drainTimeoutMs: pickNumber(options, env, 'drainTimeoutMs', DEFAULTS.drainTimeoutMs),
    closeWindowMs: pickNumber(options, env, 'closeWindowMs', DEFAULTS.closeWindowMs),
    webSocketCloseCode: pickCloseCode(options, env),
    cleanupTimeoutMs: pickNumber(options, env, 'cleanupTimeoutMs', DEFAULTS.cleanupTimeoutMs),
    hookTimeoutMs: pickNumber(options, env, 'hookTimeoutMs', DEFAULTS.hookTimeoutMs),
    marginMs: pickNumber(options, env, 'marginMs', DEFAULTS.marginMs),
    gracePeriodSeconds: pickNumber(options, env, 'gracePeriodSeconds', DEFAULTS.gracePeriodSeconds, true),
    preStopSleepSeconds: pickNumber(options, env, 'preStopSleepSeconds', DEFAULTS.preStopSleepSeconds, true),
    failReadiness: pickFailReadiness(options, env),
    signals: pickSignals(options.signals),
    forceExitCode,
    exitOnStopped: pickBoolean(options, 'exitOnStopped'),
    readyOnListening: pickBoolean(options, 'readyOnListening'),
    summary: pickBoolean(options, 'summary'),
    diagnostics: pickChoice<DiagnosticsMode>(
      'diagnostics',
      ENV_VARS.diagnostics,
      DIAGNOSTICS_VALUES,
      options.diagnostics,
      env[ENV_VARS.diagnostics],
      DEFAULTS.diagnostics,
    ),
    balancerIdleTimeoutMs: pickBalancerIdleTimeout(options, env),
    // Read by the default logger only, but checked here whatever the logger.
    logLevel: pickChoice<LogLevel>(
      'logLevel',
      ENV_VARS.logLevel,
      LOG_LEVELS,
      undefined,
      env[ENV_VARS.logLevel],
      DEFAULTS.logLevel,
    ),
  });
}

import type { Logger } from './types.js';

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;
const THRESHOLDS: Readonly<Record<string, number>> = { ...LEVELS, silent: Number.POSITIVE_INFINITY };

/** A logger that drops everything. */
export const silentLogger: Logger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
});

/** Whether we run under a test runner, where the default logger stays silent. */
function underTest(env: Readonly<Record<string, string | undefined>>): boolean {
  return Boolean(env.VITEST) || env.NODE_ENV === 'test';
}

/**
 * The default logger: one pino-shaped JSON line per entry on stderr (`level`, `time`,
 * `name`, `msg`, then the fields), below `LAMEDUCK_LOG_LEVEL` (`debug`, `info` (default), `warn`, `error`, `silent`) hidden.
 */
export function createDefaultLogger(env: Readonly<Record<string, string | undefined>>): Logger {
  // The injected env configures lameduck; the test runner is detected in the real one too.
  if (underTest(env) || underTest(process.env)) return silentLogger;
  const threshold = THRESHOLDS[env.LAMEDUCK_LOG_LEVEL?.trim() ?? 'info'] ?? LEVELS.info;
  const write = (level: keyof typeof LEVELS) => (obj: object, msg?: string) => {
    if (LEVELS[level] < threshold) return;
    const line = { level: LEVELS[level], time: Date.now(), name: 'lameduck', msg, ...obj };
    process.stderr.write(`${JSON.stringify(line)}\n`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

import { createDefaultLogger } from './logger.js';
import type { Logger } from './types.js';

export interface FrameworkLoggerOptions {
  /** Whether the framework's logger is off entirely (Fastify's default, Nest's `logger: false`). */
  readonly isOff: () => boolean;
  /** Where the stderr fallback reads `LAMEDUCK_LOG_LEVEL` from. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The fallback itself. @default lameduck's default logger (JSON lines on stderr) */
  readonly fallback?: Logger;
}

/**
 * lameduck's lines through a framework's logger (at the same levels); while that logger is off,
 * warnings, errors and the final summary still reach stderr through lameduck's default logger.
 * Pass `logger: silentLogger` to the adapter to silence lameduck entirely.
 */
export function bridgeFrameworkLogger(framework: Logger, options: FrameworkLoggerOptions): Logger {
  const fallback = options.fallback ?? createDefaultLogger(options.env ?? process.env);
  const { isOff } = options;
  return {
    debug(obj, msg) {
      if (!isOff()) framework.debug(obj, msg);
    },
    info(obj, msg) {
      if (!isOff()) framework.info(obj, msg);
      else if ('summary' in obj) fallback.info(obj, msg);
    },
    warn(obj, msg) {
      (isOff() ? fallback : framework).warn(obj, msg);
    },
    error(obj, msg) {
      (isOff() ? fallback : framework).error(obj, msg);
    },
  };
}

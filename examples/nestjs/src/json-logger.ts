import type { Logger } from '@lameduck/nestjs';

const line =
  (level: number) =>
  (obj: object, msg?: string): void => {
    process.stderr.write(`${JSON.stringify({ level, time: Date.now(), name: 'lameduck', ...obj, msg })}\n`);
  };

/**
 * lameduck's lines as JSON on stderr (pino's shape), whatever Nest's own log levels are: this
 * app keeps Nest at error and fatal (its other levels write to stdout), and a log collector
 * wants the phases and the one-line summary of every shutdown.
 */
export const jsonLinesOnStderr: Logger = {
  debug: () => undefined,
  info: line(30),
  warn: line(40),
  error: line(50),
};

import { describe, expect, it } from 'vitest';
import { bridgeFrameworkLogger, type Logger } from '../src/index.js';

function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (obj: object, msg?: string) => {
    lines.push(`${level} ${msg ?? ''} ${JSON.stringify(obj)}`);
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('bridgeFrameworkLogger', () => {
  it("goes through the framework's logger at the same levels while it is on", () => {
    const framework = recorder();
    const fallback = recorder();
    const logger = bridgeFrameworkLogger(framework, { isOff: () => false, fallback });
    logger.debug({}, 'd');
    logger.info({ state: 'draining' }, 'i');
    logger.warn({ code: 'LAMEDUCK_MISUSE' }, 'w');
    logger.error({}, 'e');
    logger.info({ summary: {} }, 'summary');
    expect(framework.lines.map((line) => line.split(' ')[0])).toEqual([
      'debug',
      'info',
      'warn',
      'error',
      'info',
    ]);
    expect(fallback.lines).toEqual([]);
  });

  it('while the framework logger is off: warnings, errors and the summary reach the fallback, the rest is dropped', () => {
    const framework = recorder();
    const fallback = recorder();
    let off = true;
    const logger = bridgeFrameworkLogger(framework, { isOff: () => off, fallback });
    logger.debug({}, 'd');
    logger.info({ state: 'draining' }, 'lameduck: draining');
    logger.warn({ code: 'LAMEDUCK_MISUSE' }, 'lameduck: no server attached');
    logger.error({}, 'lameduck: hook failed');
    logger.info({ summary: { exitCode: 0 } }, 'lameduck: stopped');
    expect(framework.lines).toEqual([]);
    expect(fallback.lines.map((line) => line.split(' ').slice(0, 2).join(' '))).toEqual([
      'warn lameduck:',
      'error lameduck:',
      'info lameduck:',
    ]);
    expect(fallback.lines[2]).toContain('"summary"');
    // Decided per line: a logger turned on later gets the lines from then on.
    off = false;
    logger.info({ state: 'closing' }, 'lameduck: closing');
    expect(framework.lines).toHaveLength(1);
  });
});

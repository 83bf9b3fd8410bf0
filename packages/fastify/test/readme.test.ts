import { readFileSync } from 'node:fs';
import { DEFAULTS, ENV_VARS } from '@lameduck/core';
import { expect, it } from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The cells of the README table row that starts with `name`. */
function row(name: string): string[] | undefined {
  const line = readme.split('\n').find((entry) => new RegExp(`^\\|\\s*\`${name}\`\\s*\\|`).test(entry));
  return line
    ?.split('|')
    .slice(2, -1)
    .map((cell) => cell.trim());
}

it('the README options tables show the DEFAULTS values and environment variables', () => {
  const numbers = [
    'drainTimeoutMs',
    'cleanupTimeoutMs',
    'hookTimeoutMs',
    'marginMs',
    'gracePeriodSeconds',
    'preStopSleepSeconds',
  ] as const;
  for (const name of numbers) expect(row(name)).toEqual([String(DEFAULTS[name]), `\`${ENV_VARS[name]}\``]);
  expect(row('drainDelayMs')).toEqual([
    `${DEFAULTS.drainDelayMsInKubernetes} in Kubernetes, else ${DEFAULTS.drainDelayMsElsewhere}`,
    `\`${ENV_VARS.drainDelayMs}\``,
  ]);
  expect(row('failReadiness')).toEqual([`\`'${DEFAULTS.failReadiness}'\``, `\`${ENV_VARS.failReadiness}\``]);
  expect(row('forceExitCode')?.[0]).toBe(String(DEFAULTS.forceExitCode));
  expect(row('signals')?.[0]).toBe(
    `\`${JSON.stringify(DEFAULTS.signals).replaceAll('"', "'").replace(',', ', ')}\``,
  );
  for (const name of ['exitOnStopped', 'readyOnListening', 'summary'] as const) {
    expect(row(name)?.[0]).toBe(String(DEFAULTS[name]));
  }
  expect(row('readinessPath')?.[0]).toBe(`\`'${DEFAULTS.readinessPath}'\``);
  expect(row('livenessPath')?.[0]).toBe(`\`'${DEFAULTS.livenessPath}'\``);
});

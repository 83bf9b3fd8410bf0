import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { helpText } from '../src/args.js';
import { EXAMPLES } from '../src/examples.js';
import { SIMULATE_DEFAULTS } from '../src/options.js';

// The README's options table and `--help` list the same flags, and the defaults it shows are
// SIMULATE_DEFAULTS.

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** Option table rows: the flags of the first cell and the default of the second. */
function tableRows(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of readme.split('\n')) {
    if (!line.startsWith('| `--')) continue;
    const [, flagsCell = '', defaultCell = ''] = line.split(/(?<!\\)\|/);
    for (const flag of flagsCell.match(/--[a-z][a-z-]*/g) ?? []) rows.set(flag, defaultCell.trim());
  }
  return rows;
}

const DEFAULT_OF: Readonly<Record<string, string | number>> = {
  '--replicas': SIMULATE_DEFAULTS.replicas,
  '--readiness-path': `\`${SIMULATE_DEFAULTS.readinessPath}\``,
  '--start-timeout-ms': SIMULATE_DEFAULTS.startTimeoutMs,
  '--lb': SIMULATE_DEFAULTS.lb,
  '--grace-period': SIMULATE_DEFAULTS.gracePeriodSeconds,
  '--connections': SIMULATE_DEFAULTS.connections,
  '--rate': SIMULATE_DEFAULTS.rate,
  '--new-connection-rate': SIMULATE_DEFAULTS.newConnectionRate,
  '--slow-ratio': SIMULATE_DEFAULTS.slowRatio,
  '--slow-ms': SIMULATE_DEFAULTS.slowMs,
  '--delete-after-ms': SIMULATE_DEFAULTS.deleteAfterMs,
  '--after-exit-ms': SIMULATE_DEFAULTS.afterExitMs,
  '--haproxy': `\`${SIMULATE_DEFAULTS.haproxyPath}\``,
  '--nginx': `\`${SIMULATE_DEFAULTS.nginxPath}\``,
};

describe('packages/cli/README.md', () => {
  it('documents every flag of --help in its options table, and no other', () => {
    const helpFlags = new Set(
      helpText()
        .split('\n')
        .map((line) => /^ {2}(--[a-z][a-z-]*)/.exec(line)?.[1])
        .filter((flag): flag is string => flag !== undefined && flag !== '--help'),
    );
    expect(helpFlags.size).toBeGreaterThan(20);
    expect([...tableRows().keys()].sort()).toEqual([...helpFlags].sort());
  });

  it('--help names every example --example runs', () => {
    const line = helpText()
      .split('\n')
      .find((entry) => entry.startsWith('  --example'));
    for (const name of Object.keys(EXAMPLES)) expect(line, name).toContain(name);
  });

  it('shows the SIMULATE_DEFAULTS values', () => {
    const rows = tableRows();
    for (const [flag, value] of Object.entries(DEFAULT_OF)) {
      expect(rows.get(flag), flag).toBe(String(value));
    }
    expect(rows.get('--lag-ms')).toMatch(
      new RegExp(`^${SIMULATE_DEFAULTS.lagMs} \\(nftables, kube-proxy\\)`),
    );
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, ENV_VARS, ErrorCodes } from '../src/index.js';

const here = new URL('.', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, here), 'utf8');

/** Every `readonly name?:` property of `interfaceName` in `source` with the text after its `@default`. */
function documentedDefaults(source: string, interfaceName: string): Map<string, string> {
  const start = source.indexOf(`export interface ${interfaceName} {`);
  expect(start, `interface ${interfaceName} not found`).toBeGreaterThanOrEqual(0);
  const body = source.slice(start, source.indexOf('\n}', start));
  const found = new Map<string, string>();
  const property = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*readonly (\w+)\?:/g;
  for (const match of body.matchAll(property)) {
    const doc = match[1] ?? '';
    const value = /@default\s+(.+?)\s*(?:\*\/|\n|$)/.exec(doc)?.[1];
    if (value !== undefined) found.set(match[2] ?? '', value.replace(/\s*\*$/, '').trim());
  }
  return found;
}

/** How a default value is written in JSDoc and in the README: 10000, 'immediately', ['SIGTERM', 'SIGINT']. */
function written(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `[${value.map(written).join(', ')}]`;
  return String(value);
}

/** Options whose default is not a value (a function or object supplied by the runtime). */
const RUNTIME_DEFAULTS: Record<string, string> = {
  exit: 'process.exit',
  signalSource: 'process',
  clock: 'the global timers',
  env: 'process.env',
};

describe('DEFAULTS and the docs agree', () => {
  const types = read('../src/types.ts');
  const options = documentedDefaults(types, 'LameduckOptions');

  it('every option documents a @default', () => {
    const declared = [...types.matchAll(/^ {2}readonly (\w+)\?:/gm)].map((m) => m[1]);
    expect(options.size).toBeGreaterThan(10);
    for (const name of ['drainDelayMs', 'drainTimeoutMs', 'gracePeriodSeconds', 'signals', 'forceExitCode']) {
      expect(declared).toContain(name);
      expect(options.has(name), `${name} has no @default`).toBe(true);
    }
  });

  it('each documented @default in types.ts is the DEFAULTS value', () => {
    for (const [name, documented] of options) {
      if (name === 'drainDelayMs') {
        expect(documented).toBe(
          `${DEFAULTS.drainDelayMsInKubernetes} when \`KUBERNETES_SERVICE_HOST\` is set, else ${DEFAULTS.drainDelayMsElsewhere}`,
        );
      } else if (name in RUNTIME_DEFAULTS) {
        expect(documented).toBe(RUNTIME_DEFAULTS[name]);
      } else {
        expect(name in DEFAULTS, `${name} is documented but has no DEFAULTS entry`).toBe(true);
        expect(documented, name).toBe(written(DEFAULTS[name as keyof typeof DEFAULTS]));
      }
    }
  });

  it('readiness check timeout and probe paths document the DEFAULTS values', () => {
    expect(documentedDefaults(types, 'ReadinessCheckOptions').get('timeoutMs')).toBe(
      written(DEFAULTS.readinessCheckTimeoutMs),
    );
    const probes = documentedDefaults(read('../src/probes.ts'), 'ProbePaths');
    expect(probes.get('readinessPath')).toBe(written(DEFAULTS.readinessPath));
    expect(probes.get('livenessPath')).toBe(written(DEFAULTS.livenessPath));
  });

  it('the README options table shows the DEFAULTS values and env variables', () => {
    const readme = read('../README.md');
    const rows = new Map<string, string[]>();
    for (const line of readme.split('\n')) {
      const cells = line.split('|').map((cell) => cell.trim());
      const name = /^`(\w+)`$/.exec(cells[1] ?? '')?.[1];
      if (name !== undefined && cells.length >= 5) rows.set(name, cells.slice(2));
    }
    const expected: Record<string, string> = {
      drainDelayMs: `${DEFAULTS.drainDelayMsInKubernetes} in Kubernetes, else ${DEFAULTS.drainDelayMsElsewhere}`,
    };
    for (const key of [
      'drainTimeoutMs',
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
    ] as const) {
      expected[key] = written(DEFAULTS[key]);
    }
    for (const [name, value] of Object.entries(expected)) {
      const row = rows.get(name);
      expect(row, `README has no row for ${name}`).toBeDefined();
      expect(row?.[0], `README default of ${name}`).toBe(`\`${value}\``);
      const variable = ENV_VARS[name as keyof typeof ENV_VARS];
      expect(row?.[1], `README env var of ${name}`).toBe(variable === undefined ? '' : `\`${variable}\``);
    }
  });

  it('the README prose repeats the DEFAULTS numbers it mentions', () => {
    const readme = read('../README.md').replace(/\s+/g, ' ');
    expect(readme).toContain(`${DEFAULTS.firstRequestGraceMs / 1000} s (at most half the drain timeout)`);
    const parts = [
      DEFAULTS.drainDelayMsInKubernetes,
      DEFAULTS.drainTimeoutMs,
      DEFAULTS.cleanupTimeoutMs,
      DEFAULTS.marginMs,
    ].map((ms) => ms / 1000);
    const total = parts.reduce((sum, n) => sum + n, 0);
    expect(readme).toContain(
      `${parts.join(' + ')} = ${total} s of the default ${DEFAULTS.gracePeriodSeconds} s`,
    );
    expect(readme).toContain(`(default timeout ${DEFAULTS.readinessCheckTimeoutMs} ms)`);
  });

  it('the README error catalogue lists every error code', () => {
    const readme = read('../README.md');
    for (const code of Object.values(ErrorCodes))
      expect(readme, code).toMatch(new RegExp(`\\|\\s*\`${code}\`\\s*\\|`));
  });

  it('has zero runtime dependencies', () => {
    const pkg = JSON.parse(read('../package.json')) as Record<string, unknown>;
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies', 'bundleDependencies']) {
      expect(Object.keys((pkg[field] as object | undefined) ?? {}), field).toEqual([]);
    }
    // The sources import only node built-ins and each other.
    const sources = readdirSync(new URL('../src/', here)).filter((file) => file.endsWith('.ts'));
    expect(sources.length).toBeGreaterThan(10);
    for (const file of sources) {
      for (const match of read(`../src/${file}`).matchAll(/from '([^']+)'/g)) {
        expect(match[1], `${file} imports ${match[1]}`).toMatch(/^(node:|\.\/)/);
      }
    }
  });
});

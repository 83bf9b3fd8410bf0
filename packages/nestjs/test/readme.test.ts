import { readFileSync } from 'node:fs';
import { DEFAULTS } from '@lameduck/core';
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';
import { LameduckModule } from '../src/index.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README.md and the code agree', () => {
  it('names the default probe paths and the force exit code from DEFAULTS', () => {
    expect(readme).toContain(`\`readinessPath\` (\`${DEFAULTS.readinessPath}\`)`);
    expect(readme).toContain(`\`livenessPath\` (\`${DEFAULTS.livenessPath}\`)`);
    expect(readme).toContain(`${DEFAULTS.forceExitCode} on a`);
  });

  it('documents isGlobal: true as the default, which forRoot() applies', () => {
    expect(readme).toContain('`isGlobal` (default `true`)');
    expect(LameduckModule.forRoot().global).toBe(true);
    expect(LameduckModule.forRoot({ isGlobal: false }).global).toBe(false);
    expect(LameduckModule.forRootAsync({ useFactory: () => ({}) }).global).toBe(true);
  });

  it('every export in the API table exists', () => {
    const table = readme.slice(readme.indexOf('## API'), readme.indexOf('## Mistakes'));
    const names = [...table.matchAll(/^\| `(@?\w+)/gm)].map((match) => match[1]!.replace('@', ''));
    expect(names.length).toBeGreaterThan(4);
    const exported = new Set(Object.keys(api));
    for (const name of names) {
      if (name === 'LameduckModuleOptions') continue; // a type
      expect(exported, name).toContain(name);
    }
  });
});

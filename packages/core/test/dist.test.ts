import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as source from '../src/index.js';

const core = fileURLToPath(new URL('..', import.meta.url));

/** Runs a snippet with plain node inside the package, where `@lameduck/core` is the built dist. */
function run(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: core, encoding: 'utf8', timeout: 10_000 });
}

describe('the built package', () => {
  it('exposes the same names to import and require as the sources', () => {
    const expected = Object.keys(source).sort();
    const esm = run([
      '--input-type=module',
      '-e',
      "const m = await import('@lameduck/core'); console.log(JSON.stringify(Object.keys(m).sort()))",
    ]);
    const cjs = run(['-e', "console.log(JSON.stringify(Object.keys(require('@lameduck/core')).sort()))"]);
    expect(JSON.parse(esm)).toEqual(expected);
    expect(JSON.parse(cjs)).toEqual(expected);
  });

  it('throws LameduckError with its code from the CommonJS build too', () => {
    const out = run([
      '-e',
      "const { createLameduck } = require('@lameduck/core'); try { createLameduck({ drainDelayMs: -1 }) } catch (e) { console.log(e.name, e.code) }",
    ]);
    expect(out.trim()).toBe('LameduckError LAMEDUCK_INVALID_OPTION');
  });
});

import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';

// The test output carries no warnings that mean nothing: Vite's "ESM syntax in a file loaded as
// CommonJS" for a vitest config in a package without "type", and its complaint about a dynamic
// import it tried to expand (kubernetes-models in the manifest lint). Loading every project's config
// and importing the manifest lint shows both; the file's tests are filtered out, nothing runs.
const ROOT = resolve(import.meta.dirname, '../..');

it('vitest prints no Vite config or import-analysis warnings', () => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.VITEST;
  const run = spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      'test/manifests.test.ts',
      '--testNamePattern',
      'no test has this name',
      '--passWithNoTests',
    ],
    { cwd: ROOT, env, encoding: 'utf8', timeout: 90_000 },
  );
  const output = `${run.stdout}${run.stderr}`;
  expect(output).toContain('manifests.test.ts');
  expect(output).not.toContain('ESM syntax in a file loaded as CommonJS');
  expect(output).not.toContain('is not exported under the conditions');
  expect(output).not.toMatch(/\[vite\].*warning/);
});

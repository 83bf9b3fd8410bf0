#!/usr/bin/env node
// Runs vitest over every project, then prints one closing line `tests: N passed, N failed, N skipped`
// and exits with vitest's own exit code.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const results = join(root, 'node_modules', '.vitest-results.json');
rmSync(results, { force: true });
const vitest = join(root, 'node_modules', '.bin', 'vitest');
const run = spawnSync(
  vitest,
  ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`, ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' },
);
let code = run.status ?? 1;
if (existsSync(results)) {
  const { numPassedTests, numFailedTests, numPendingTests, numTodoTests, numTotalTests } = JSON.parse(
    readFileSync(results, 'utf8'),
  );
  if (numTotalTests === 0) code = 1;
  console.log(
    `\ntests: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped`,
  );
} else {
  console.log('\ntests: 0 passed, 1 failed (vitest wrote no results)');
  code = code || 1;
}
process.exit(code);

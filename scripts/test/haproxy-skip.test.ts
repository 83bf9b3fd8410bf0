import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// Every e2e test file that skips HAProxy tests says why, even when it runs alone: with no haproxy on
// the PATH and CI unset, each such file prints the message once (its tests filtered out: nothing runs).
const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'scripts', '.lameduck-tmp', `no-haproxy-${process.pid}`);

const files = readdirSync(join(ROOT, 'test'))
  .filter((file) => file.endsWith('.test.ts'))
  .filter((file) => readFileSync(join(ROOT, 'test', file), 'utf8').includes('haproxyInstalled()'));

afterAll(() => rmSync(BIN, { recursive: true, force: true }));

describe('HAProxy missing', () => {
  it('finds the test files with HAProxy tests', () => {
    expect(files).toContain('rollout-haproxy.test.ts');
  });

  it.each(files)('test/%s run alone prints the skip message', (file) => {
    mkdirSync(BIN, { recursive: true });
    rmSync(join(BIN, 'node'), { force: true });
    symlinkSync(process.execPath, join(BIN, 'node'));
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: BIN, NO_COLOR: '1' };
    delete env.CI;
    delete env.VITEST; // a fresh vitest, not this one's worker
    const run = spawnSync(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'),
        'run',
        '--project',
        'e2e',
        `test/${file}`,
        '--testNamePattern',
        'no test has this name',
        '--passWithNoTests',
      ],
      { cwd: ROOT, env, encoding: 'utf8', timeout: 90_000 },
    );
    const output = `${run.stdout}${run.stderr}`;
    expect(output).toContain(`stderr | ${file}`);
    expect(output.split('haproxy is not installed (Debian/Ubuntu: apt-get install -y haproxy)')).toHaveLength(
      2,
    );
  });
});

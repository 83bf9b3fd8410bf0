import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The API report check on a copy of @lameduck/core's built types: an export added on purpose fails the
// check until `api:update` rewrites the report, and a new publishable package without a report fails it.
const ROOT = resolve(import.meta.dirname, '../..');
const SCRIPT = join(ROOT, 'scripts', 'api-report.mjs');
// Inside the workspace (gitignored), so that @types/node resolves as it does for the real packages.
const PACKAGES = join(ROOT, 'scripts', '.lameduck-tmp', `api-${process.pid}`);

function apiReport(...args: string[]) {
  const run = spawnSync(process.execPath, [SCRIPT, '--packages', PACKAGES, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
}

function copyCore(dir: string, name?: string) {
  const from = join(ROOT, 'packages', 'core');
  const to = join(PACKAGES, dir);
  mkdirSync(join(to, 'dist'), { recursive: true });
  const pkg = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8'));
  writeFileSync(join(to, 'package.json'), JSON.stringify({ ...pkg, name: name ?? pkg.name }));
  cpSync(join(from, 'dist', 'index.d.ts'), join(to, 'dist', 'index.d.ts'));
  if (!name) cpSync(join(from, 'etc'), join(to, 'etc'), { recursive: true });
}

describe('api-report', () => {
  beforeAll(() => copyCore('core'));
  afterAll(() => rmSync(PACKAGES, { recursive: true, force: true }));

  it('passes on the checked-in report, fails after a deliberate export change until api:update', () => {
    expect(apiReport()).toMatchObject({ code: 0 });

    appendFileSync(
      join(PACKAGES, 'core', 'dist', 'index.d.ts'),
      '\nexport declare function addedOnPurpose(): void;\n',
    );
    const changed = apiReport();
    expect(changed.code).toBe(1);
    expect(changed.output).toContain('core/etc/core.api.md differs from the built API');
    expect(changed.output).toContain('pnpm run api:update');

    expect(apiReport('--update')).toMatchObject({ code: 0 });
    expect(readFileSync(join(PACKAGES, 'core', 'etc', 'core.api.md'), 'utf8')).toContain(
      'export function addedOnPurpose(): void;',
    );
    expect(apiReport()).toMatchObject({ code: 0 });
  });

  it('fails for a new publishable package until api:update writes its report; skips private packages', () => {
    copyCore('private-one', '@lameduck/private-one');
    const privateDir = join(PACKAGES, 'private-one', 'package.json');
    writeFileSync(
      privateDir,
      JSON.stringify({ ...JSON.parse(readFileSync(privateDir, 'utf8')), private: true }),
    );
    copyCore('brand-new', '@lameduck/brand-new');

    const missing = apiReport();
    expect(missing.code).toBe(1);
    expect(missing.output).toContain(
      'brand-new/etc/brand-new.api.md differs from the built API (or is missing)',
    );
    expect(missing.output).not.toContain('private-one');

    expect(apiReport('--update')).toMatchObject({ code: 0 });
    expect(apiReport()).toMatchObject({ code: 0 });
  });

  it('fails on a report that belongs to no entry point', () => {
    cpSync(join(PACKAGES, 'core', 'etc', 'core.api.md'), join(PACKAGES, 'core', 'etc', 'core-gone.api.md'));
    const stale = apiReport();
    expect(stale.code).toBe(1);
    expect(stale.output).toContain('core-gone.api.md belongs to no entry point');
  });
});

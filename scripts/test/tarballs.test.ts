import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// Every publishable package (any packages/* whose package.json is not private), packed the way
// `pnpm publish` packs it: the tarball holds the LICENSE, the README and every file package.json points to.
// The LICENSE must sit in the package's own folder: pnpm falls back to the workspace root's, npm does not.
const ROOT = resolve(import.meta.dirname, '../..');
const OUT = mkdtempSync(join(tmpdir(), 'lameduck-tarballs-'));
const LICENSE = readFileSync(join(ROOT, 'LICENSE'), 'utf8');

const publishable = readdirSync(join(ROOT, 'packages'))
  .filter((dir) => existsSync(join(ROOT, 'packages', dir, 'package.json')))
  .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(ROOT, 'packages', dir, 'package.json'), 'utf8')) }))
  .filter(({ pkg }) => !pkg.private);

/** Every path package.json names: exports (all conditions), main, module, types, bin. */
function referencedFiles(pkg: Record<string, unknown>): string[] {
  const paths = new Set<string>();
  const walk = (value: unknown) => {
    if (typeof value === 'string') paths.add(value.replace(/^\.\//, ''));
    else if (value && typeof value === 'object') for (const inner of Object.values(value)) walk(inner);
  };
  walk(pkg.exports);
  walk(pkg.bin);
  for (const field of ['main', 'module', 'types']) walk(pkg[field]);
  return [...paths];
}

afterAll(() => rmSync(OUT, { recursive: true, force: true }));

describe('packed tarballs', () => {
  it('finds the publishable packages', () => {
    expect(publishable.map(({ pkg }) => pkg.name)).toContain('@lameduck/core');
  });

  it.each(publishable.map(({ dir, pkg }) => [pkg.name as string, dir]))('%s', (_name, dir) => {
    const own = join(ROOT, 'packages', dir, 'LICENSE');
    expect(
      existsSync(own) && readFileSync(own, 'utf8'),
      `packages/${dir}/LICENSE: copy the root LICENSE there`,
    ).toBe(LICENSE);
    const dest = join(OUT, dir);
    execFileSync('npx', ['--yes', 'pnpm@12.4.2', 'pack', '--pack-destination', dest], {
      cwd: join(ROOT, 'packages', dir),
      stdio: 'pipe',
    });
    const tarball = join(dest, readdirSync(dest).find((file) => file.endsWith('.tgz'))!);
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((file) => file.replace(/^package\//, ''))
      .sort();
    console.log(`${dir}: ${files.join(' ')}`);
    expect(files).toContain('LICENSE');
    expect(files).toContain('README.md');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'packages', dir, 'package.json'), 'utf8'));
    for (const file of referencedFiles(pkg)) expect(files, `package.json names ${file}`).toContain(file);
    const license = execFileSync('tar', ['-xzOf', tarball, 'package/LICENSE'], { encoding: 'utf8' });
    expect(license).toBe(LICENSE);
  });
});

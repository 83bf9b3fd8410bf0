#!/usr/bin/env node
// Packs every published package the way `pnpm publish` would, then checks the tarball with
// publint (package.json and files) and @arethetypeswrong/cli (types for ESM and CommonJS); last, a
// `pnpm publish -r --dry-run` of the whole workspace.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const packagesDir = join(root, 'packages');
const out = mkdtempSync(join(tmpdir(), 'lameduck-pack-'));
const bin = (name) => join(root, 'node_modules', '.bin', name);
let failed = 0;

try {
  for (const dir of readdirSync(packagesDir).sort()) {
    const pkgDir = join(packagesDir, dir);
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    if (pkg.private) continue;
    const dest = join(out, dir);
    mkdirSync(dest);
    // pnpm pack rewrites `workspace:` ranges the way `pnpm publish` does.
    execFileSync('npx', ['--yes', 'pnpm@12.4.2', 'pack', '--pack-destination', dest], {
      cwd: pkgDir,
      stdio: 'pipe',
    });
    const tarball = join(
      dest,
      readdirSync(dest).find((f) => f.endsWith('.tgz')),
    );
    for (const [tool, args] of [
      ['publint', ['run', tarball, '--strict']],
      ['attw', [tarball, '--format', 'ascii', '--no-emoji', '--no-color']],
    ]) {
      try {
        const output = execFileSync(bin(tool), args, { cwd: pkgDir, stdio: 'pipe', encoding: 'utf8' });
        // attw exits 0 for a package with no types at all; demand its all-clear.
        if (tool === 'attw' && !output.includes('No problems found')) {
          throw Object.assign(new Error('attw found problems'), { stdout: output });
        }
        console.log(`ok    ${pkg.name}: ${tool}`);
      } catch (error) {
        failed += 1;
        console.log(`FAIL  ${pkg.name}: ${tool}\n${error.stdout ?? ''}${error.stderr ?? ''}`);
      }
    }
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
try {
  const dryRun = execFileSync(
    'npx',
    ['--yes', 'pnpm@12.4.2', 'publish', '-r', '--dry-run', '--no-git-checks'],
    {
      cwd: root,
      stdio: 'pipe',
      encoding: 'utf8',
    },
  );
  const names = [...dryRun.matchAll(/^📦 (\S+) →/gmu)].map((match) => match[1]);
  console.log(`ok    pnpm publish -r --dry-run: ${names.join(', ')}`);
} catch (error) {
  failed += 1;
  console.log(`FAIL  pnpm publish -r --dry-run\n${error.stdout ?? ''}${error.stderr ?? ''}`);
}
if (failed > 0) {
  console.log(`${failed} package ${failed === 1 ? 'check' : 'checks'} failed`);
  process.exit(1);
}

import { execFile } from 'node:child_process';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
export const packageRoot = resolve(here, '../..');
const tsc = resolve(packageRoot, '../../node_modules/typescript/bin/tsc');
const fixture = join(packageRoot, 'test/fixtures/app');

export type ModuleFormat = 'commonjs' | 'module';

/**
 * Compiles the fixture app with tsc, as a Nest user would (CommonJS like `nest new`, or ESM),
 * into `.lameduck-tmp/` inside this package, so @nestjs/* resolve from its node_modules and
 * `@lameduck/nestjs` resolves to this package's built dist through a symlink.
 * Returns the path of main.js.
 */
export async function compileFixture(format: ModuleFormat): Promise<string> {
  const out = join(packageRoot, '.lameduck-tmp', `fixture-${format}`);
  await rm(out, { recursive: true, force: true });
  const config = join(fixture, format === 'commonjs' ? 'tsconfig.cjs.json' : 'tsconfig.esm.json');
  await promisify(execFile)(process.execPath, [tsc, '-p', config, '--outDir', out], { timeout: 60_000 });
  await writeFile(join(out, 'package.json'), `${JSON.stringify({ type: format })}\n`);
  await mkdir(join(out, 'node_modules/@lameduck'), { recursive: true });
  await symlink(packageRoot, join(out, 'node_modules/@lameduck/nestjs'), 'dir');
  return join(out, 'main.js');
}

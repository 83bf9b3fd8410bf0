import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';

// `lameduck --version` prints the package's version, from the source and from the built bin (ESM and
// CommonJS), where package.json is inlined by the build.
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

function sink() {
  let text = '';
  return {
    write(chunk: string) {
      text += chunk;
      return true;
    },
    get text() {
      return text;
    },
  };
}

describe('lameduck --version', () => {
  it.each(['--version', '-v'])('%s prints the package version on stdout, exit 0', async (flag) => {
    const stdout = sink();
    const stderr = sink();
    expect(await runCli([flag], { stdout, stderr, cwd: process.cwd() })).toBe(0);
    expect(stdout.text).toBe(`${pkg.version}\n`);
    expect(stderr.text).toBe('');
  });

  it.each(['bin.js', 'bin.cjs'])('the built dist/%s prints it too', (file) => {
    const bin = fileURLToPath(new URL(`../dist/${file}`, import.meta.url));
    expect(existsSync(bin), `${bin} is missing: run \`pnpm run build\` first`).toBe(true);
    expect(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8', timeout: 10_000 })).toBe(
      `${pkg.version}\n`,
    );
  });
});

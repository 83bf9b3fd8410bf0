import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// `lameduck --version` from the built bin (ESM and CommonJS), where the build inlines package.json
// (runCli itself: args.test.ts).
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

describe('lameduck --version', () => {
  it.each(['bin.js', 'bin.cjs'])('the built dist/%s prints it too', (file) => {
    const bin = fileURLToPath(new URL(`../dist/${file}`, import.meta.url));
    expect(existsSync(bin), `${bin} is missing: run \`pnpm run build\` first`).toBe(true);
    expect(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8', timeout: 10_000 })).toBe(
      `${pkg.version}\n`,
    );
  });
});

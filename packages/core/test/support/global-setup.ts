import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The real-signal fixtures import the BUILT package (`@lameduck/core` → dist). Rebuild it
 * when it is missing or older than a source file, so those tests never run stale code.
 */
export default function setup(): void {
  const core = fileURLToPath(new URL('../../', import.meta.url));
  const built = `${core}dist/index.js`;
  const sources = readdirSync(`${core}src`, { recursive: true }).map(
    (file) => statSync(`${core}src/${String(file)}`).mtimeMs,
  );
  if (existsSync(built) && statSync(built).mtimeMs >= Math.max(...sources)) return;
  execFileSync(`${core}../../node_modules/.bin/tsup`, [], { cwd: core, stdio: 'inherit' });
}

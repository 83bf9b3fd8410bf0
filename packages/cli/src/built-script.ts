import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setupError } from './replicas.js';

/**
 * The path of a script the package builds beside its entry points (`dist/<file>`), run in a
 * child process or a worker thread: found next to this module when it runs from `dist`, or in
 * `../dist` when it runs from `src` (the tests). `option` names what needs it, for the error.
 */
export function builtScript(file: string, option: string): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, file), join(here, '..', 'dist', file)];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) {
    throw setupError(`${option} needs ${candidates[0]}; build the package (pnpm run build).`);
  }
  return found;
}

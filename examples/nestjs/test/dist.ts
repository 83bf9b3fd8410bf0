import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The compiled entry point, as the start command runs it: `node examples/nestjs/dist/main.js`. */
export const mainFile = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** Fails with the fix instead of a confusing "exited before listening". */
export function assertBuilt(): void {
  if (!existsSync(mainFile)) {
    throw new Error(
      `${mainFile} is missing: build the example first (pnpm run build at the repository root).`,
    );
  }
}

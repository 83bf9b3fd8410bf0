import { defineConfig } from 'vitest/config';
import { ALONE } from './vitest.config.js';

// The end-to-end files that need the machine to themselves (see vitest.config.ts): after every
// other project, one file at a time, nothing beside them.
export default defineConfig({
  test: {
    name: 'e2e-alone',
    include: ALONE,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    sequence: { groupOrder: 2 },
  },
});

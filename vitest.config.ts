import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// One vitest run, one project per package. Each project has its own vitest.config.ts.
// Files run on at least 2 workers: vitest's default (one less than the cores) is a single worker
// on a 2-core CI machine, and most files here wait on real processes, drain delays and timers.
// The e2e projects set their own (test/vitest.config.ts).
export default defineConfig({
  test: {
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      'packages/*/vitest.config.ts',
      'examples/*/vitest.config.{ts,mts}',
      'test/vitest.config.ts',
      'test/vitest.alone.config.ts',
      'scripts/vitest.config.ts',
    ],
  },
});

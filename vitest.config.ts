import { defineConfig } from 'vitest/config';

// One vitest run, one project per package. Each project has its own vitest.config.ts.
export default defineConfig({
  test: {
    projects: [
      'packages/*/vitest.config.ts',
      'examples/*/vitest.config.{ts,mts}',
      'test/vitest.config.ts',
      'scripts/vitest.config.ts',
    ],
  },
});

import { defineConfig } from 'vitest/config';

// The repository's own tooling: API reports, packed tarballs, READMEs, quick starts in fresh projects.
export default defineConfig({
  test: {
    name: 'release',
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});

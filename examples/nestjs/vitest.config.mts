import { defineConfig } from 'vitest/config';

// The tests start the compiled app (`node dist/main.js`) as a real process: run the root build first.
export default defineConfig({
  test: {
    name: 'example-nestjs',
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});

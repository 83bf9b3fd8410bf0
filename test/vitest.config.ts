import { defineConfig } from 'vitest/config';

// End-to-end: real replicas, real signals, real balancers, real keep-alive load. Timing matters
// (drain delays, health-check intervals), so this project runs after every other project
// (groupOrder 1) and its files one after another: each simulation already uses both cores.
export default defineConfig({
  test: {
    name: 'e2e',
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    sequence: { groupOrder: 1 },
  },
});

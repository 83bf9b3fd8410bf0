import { defineConfig } from 'vitest/config';

// End-to-end: real replicas, real signals, real balancers, real keep-alive load. Timing matters
// (drain delays, health-check intervals), so this project runs after every other project
// (groupOrder 1), two files at a time: a rollout mostly waits (drain delays, lags, health-check
// intervals), so two of them share 2 cores without starving each other. Every file is safe beside
// another: free ports from the kernel, its own temp dirs and network namespaces, processes found
// by its own marker or PID. A file that needs the machine to itself goes in ALONE: it runs after
// all of these, on its own (vitest.alone.config.ts, project e2e-alone).

/** Files that run on their own: 1,000 WebSockets + 200 SSE streams per framework keep both cores busy. */
export const ALONE = ['long-lived.test.ts'];

export default defineConfig({
  test: {
    name: 'e2e',
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', ...ALONE],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    sequence: { groupOrder: 1 },
  },
});

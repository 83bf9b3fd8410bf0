import { killServerProcesses, startServerProcess, testExampleServer } from '@lameduck/contract';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, mainFile } from './dist.js';

// The child logs like production (JSON lines on stderr), not silently like a test runner.
const baseEnv = { NODE_ENV: 'production', VITEST: '', LAMEDUCK_DRAIN_DELAY_MS: '500' };

beforeAll(assertBuilt);
afterEach(killServerProcesses);

describe.each(['express', 'fastify'])(
  'node examples/nestjs/dist/main.js with NEST_PLATFORM=%s',
  (platform) => {
    const env = { ...baseEnv, NEST_PLATFORM: platform };

    testExampleServer({
      label: `example-nestjs (${platform})`,
      start: () => startServerProcess(mainFile, { env }),
      titles: {
        routes: 'prints only the listening line on stdout, answers / at once, /slow after ms, and the probes',
        inFlight:
          'SIGTERM with slow requests in flight: serves during the delay, finishes them before the pool closes, exits 0',
        idle: 'SIGTERM when idle exits 0 right after the delay and the teardown',
      },
      checkStdout: (server) =>
        expect(server.stdout()).toBe(`${JSON.stringify({ msg: 'listening', port: server.port })}\n`),
      checkReadiness: (ready) => expect(JSON.parse(ready.body)).toMatchObject({ checks: { database: 'ok' } }),
      // Each slow request uses the database pool when it ends: it would fail (500) had the
      // pool's onModuleDestroy run first.
      slowRequests: 4,
      checkSummary: (summary) => {
        // Nest's teardown (closing the pool) takes 100 ms.
        expect(summary.hooks).toEqual([expect.objectContaining({ name: 'nestjs app.close()', ok: true })]);
        expect(summary.hooks[0]!.durationMs).toBeGreaterThanOrEqual(90);
      },
    });

    it('refuses an unknown NEST_PLATFORM with a clear message', async () => {
      await expect(startServerProcess(mainFile, { env: { ...env, NEST_PLATFORM: 'koa' } })).rejects.toThrow(
        /NEST_PLATFORM expects 'express' or 'fastify'/,
      );
    });
  },
);

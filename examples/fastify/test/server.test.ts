import { fileURLToPath } from 'node:url';
import { killServerProcesses, logLines, startServerProcess, testExampleServer } from '@lameduck/contract';
import { afterEach, describe, expect } from 'vitest';

const serverFile = fileURLToPath(new URL('../server.js', import.meta.url));
// The child logs like production (JSON lines on stderr), not silently like a test runner.
const env = { NODE_ENV: 'production', VITEST: '', LAMEDUCK_DRAIN_DELAY_MS: '500' };

afterEach(killServerProcesses);

describe('node examples/fastify/server.js', () => {
  testExampleServer({
    label: 'example-fastify',
    start: () => startServerProcess(serverFile, { env }),
    titles: {
      routes: 'prints the listening line, answers / at once, /slow after ms, and the probes',
      inFlight:
        'SIGTERM with a slow request in flight: keeps serving during the delay, finishes the request, exits 0',
      idle: 'SIGTERM when idle exits 0 right after the delay and the onClose hook',
    },
    checkStdout: (server) => expect(server.jsonLines()).toEqual([{ msg: 'listening', port: server.port }]),
    afterRoutes: (server) => {
      // Probes are left out of the request log; business routes are in it.
      const urls = logLines(server.stderr())
        .filter((line) => line.msg === 'incoming request')
        .map((line) => (line.req as { url: string }).url);
      expect(urls).toContain('/');
      expect(urls).not.toContain('/readyz');
    },
    requestsDuringDelay: 5,
    checkSummary: (summary) => {
      expect(summary.requestsDuringDrain).toBeGreaterThanOrEqual(6);
      // The onClose hook (database pool) takes 100 ms after the slow request.
      expect(summary.hooks).toEqual([expect.objectContaining({ name: 'fastify.close', ok: true })]);
      expect(summary.hooks[0]?.durationMs).toBeGreaterThanOrEqual(90);
    },
  });
});

import { fileURLToPath } from 'node:url';
import { killServerProcesses, startServerProcess, testExampleServer } from '@lameduck/contract';
import { afterEach, describe, expect } from 'vitest';

const serverFile = fileURLToPath(new URL('../server.js', import.meta.url));
// The child logs like production (JSON lines on stderr), not silently like a test runner.
const env = { NODE_ENV: 'production', VITEST: '', LAMEDUCK_DRAIN_DELAY_MS: '500' };

afterEach(killServerProcesses);

describe('node examples/express/server.js', () => {
  testExampleServer({
    label: 'example-express',
    start: () => startServerProcess(serverFile, { env }),
    titles: {
      routes: 'prints the listening line, answers / at once, /slow after ms, and the probes',
      inFlight:
        'SIGTERM with a slow request in flight: keeps serving during the delay, finishes the request, exits 0',
      idle: 'SIGTERM when idle exits 0 right after the delay and the cleanup hook',
    },
    checkStdout: (server) => expect(server.jsonLines()[0]).toEqual({ msg: 'listening', port: server.port }),
    // The cleanup hook (database pool) takes 100 ms.
    checkSummary: (summary) => expect(summary.phases.cleanup).toBeGreaterThanOrEqual(90),
  });
});

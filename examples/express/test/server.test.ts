import { fileURLToPath } from 'node:url';
import {
  getOnNewConnection,
  KeepAliveClient,
  killServerProcesses,
  sleep,
  startServerProcess,
} from '@lameduck/contract';
import { afterEach, describe, expect, it } from 'vitest';

const serverFile = fileURLToPath(new URL('../server.js', import.meta.url));
// The child logs like production (JSON lines on stderr), not silently like a test runner.
const env = { NODE_ENV: 'production', VITEST: '', LAMEDUCK_DRAIN_DELAY_MS: '500' };

afterEach(killServerProcesses);

/** Polls the readiness probe on new connections until it answers `status` (at most ~2 s). */
async function waitForReadiness(url: string, status: number): Promise<boolean> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if ((await getOnNewConnection(url, '/readyz')).status === status) return true;
    await sleep(20);
  }
  return false;
}

function summaryOf(stderr: string): { exitCode: number; totalMs: number; phases: Record<string, number> } {
  const line = stderr
    .split('\n')
    .filter((entry) => entry.startsWith('{'))
    .map(
      (entry) =>
        JSON.parse(entry) as {
          summary?: { exitCode: number; totalMs: number; phases: Record<string, number> };
        },
    )
    .find((entry) => entry.summary !== undefined);
  if (line?.summary === undefined) throw new Error(`no summary line in stderr:\n${stderr}`);
  return line.summary;
}

describe('node examples/express/server.js', () => {
  it('prints the listening line, answers / at once, /slow after ms, and the probes', async () => {
    const server = await startServerProcess(serverFile, { env });
    expect(server.jsonLines()[0]).toEqual({ msg: 'listening', port: server.port });
    const client = new KeepAliveClient(server.url);
    try {
      const root = await client.get('/');
      expect(root.status).toBe(200);
      expect(JSON.parse(root.body)).toMatchObject({ hello: 'world' });
      const startedAt = Date.now();
      expect(JSON.parse((await client.get('/slow?ms=300')).body)).toEqual({ waitedMs: 300 });
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(280);
      expect((await client.get('/slow?ms=nope')).status).toBe(400);
      expect((await client.get('/readyz')).status).toBe(200);
      expect((await client.get('/livez')).status).toBe(200);
      expect((await client.get('/missing')).status).toBe(404);
    } finally {
      await client.close();
    }
  });

  it('SIGTERM with a slow request in flight: keeps serving during the delay, finishes the request, exits 0', async () => {
    const server = await startServerProcess(serverFile, { env });
    const client = new KeepAliveClient(server.url);
    try {
      const inFlight = client.get('/slow?ms=1500');
      await sleep(250);
      const signalledAt = server.signal('SIGTERM');

      // During the drain delay: readiness fails, new connections are served and told to close.
      expect(await waitForReadiness(server.url, 503)).toBe(true);
      const during = await getOnNewConnection(server.url, '/');
      expect(during).toMatchObject({ status: 200, connection: 'close' });
      expect((await getOnNewConnection(server.url, '/livez')).status).toBe(200);

      const slow = await inFlight;
      expect(slow).toMatchObject({ status: 200, connection: 'close' });
      expect(JSON.parse(slow.body)).toEqual({ waitedMs: 1500 });

      const exit = await server.exited;
      expect([exit.code, exit.signal]).toEqual([0, null]);
      const exitMs = exit.at - signalledAt;
      // The slow request had ~1250 ms left; the cleanup hook (database pool) takes 100 ms.
      expect(exitMs).toBeGreaterThanOrEqual(1300);
      expect(exitMs).toBeLessThan(10_000);
      const summary = summaryOf(server.stderr());
      expect(summary.exitCode).toBe(0);
      expect(summary.phases.draining).toBeGreaterThanOrEqual(490);
      expect(summary.phases.cleanup).toBeGreaterThanOrEqual(90);
      console.info(`example-express: SIGTERM → exit ${exitMs} ms`, JSON.stringify(summary.phases));
    } finally {
      await client.close();
    }
  });

  it('SIGTERM when idle exits 0 right after the delay and the cleanup hook', async () => {
    const server = await startServerProcess(serverFile, { env });
    const client = new KeepAliveClient(server.url);
    expect((await client.get('/')).status).toBe(200);
    const signalledAt = server.signal('SIGTERM');
    const exit = await server.exited;
    await client.close();
    expect([exit.code, exit.signal]).toEqual([0, null]);
    const exitMs = exit.at - signalledAt;
    expect(exitMs).toBeGreaterThanOrEqual(590);
    expect(exitMs).toBeLessThan(8000);
    console.info(`example-express: idle SIGTERM → exit ${exitMs} ms`);
  });
});

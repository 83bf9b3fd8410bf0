import {
  getOnNewConnection,
  KeepAliveClient,
  killServerProcesses,
  sleep,
  startServerProcess,
} from '@lameduck/contract';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, mainFile } from './dist.js';

// The child logs like production (JSON lines on stderr), not silently like a test runner.
const baseEnv = { NODE_ENV: 'production', VITEST: '', LAMEDUCK_DRAIN_DELAY_MS: '500' };

beforeAll(assertBuilt);
afterEach(killServerProcesses);

/** Polls the readiness probe on new connections until it answers `status` (at most ~2 s). */
async function waitForReadiness(url: string, status: number): Promise<boolean> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if ((await getOnNewConnection(url, '/readyz')).status === status) return true;
    await sleep(20);
  }
  return false;
}

interface Summary {
  exitCode: number;
  totalMs: number;
  phases: Record<string, number>;
  hooks: { name: string; ok: boolean; durationMs: number }[];
}

function summaryOf(stderr: string): Summary {
  const line = stderr
    .split('\n')
    .filter((entry) => entry.startsWith('{'))
    .map((entry) => JSON.parse(entry) as { summary?: Summary })
    .find((entry) => entry.summary !== undefined);
  if (line?.summary === undefined) throw new Error(`no summary line in stderr:\n${stderr}`);
  return line.summary;
}

describe.each(['express', 'fastify'])(
  'node examples/nestjs/dist/main.js with NEST_PLATFORM=%s',
  (platform) => {
    const env = { ...baseEnv, NEST_PLATFORM: platform };

    it('prints only the listening line on stdout, answers / at once, /slow after ms, and the probes', async () => {
      const server = await startServerProcess(mainFile, { env });
      expect(server.stdout()).toBe(`${JSON.stringify({ msg: 'listening', port: server.port })}\n`);
      const client = new KeepAliveClient(server.url);
      try {
        const root = await client.get('/');
        expect(root.status).toBe(200);
        expect(JSON.parse(root.body)).toMatchObject({ hello: 'world' });
        const startedAt = Date.now();
        expect(JSON.parse((await client.get('/slow?ms=300')).body)).toEqual({ waitedMs: 300 });
        expect(Date.now() - startedAt).toBeGreaterThanOrEqual(280);
        expect((await client.get('/slow?ms=nope')).status).toBe(400);
        const ready = await client.get('/readyz');
        expect(ready.status).toBe(200);
        expect(JSON.parse(ready.body)).toMatchObject({ checks: { database: 'ok' } });
        expect((await client.get('/livez')).status).toBe(200);
        expect((await client.get('/missing')).status).toBe(404);
      } finally {
        await client.close();
      }
    });

    it('SIGTERM with slow requests in flight: serves during the delay, finishes them before the pool closes, exits 0', async () => {
      const server = await startServerProcess(mainFile, { env });
      const clients = Array.from({ length: 4 }, () => new KeepAliveClient(server.url));
      try {
        // Each slow request uses the database pool when it ends: it would fail (500) had the
        // pool's onModuleDestroy run first.
        const inFlight = clients.map((client) => client.get('/slow?ms=1500'));
        await sleep(250);
        const signalledAt = server.signal('SIGTERM');

        // During the drain delay: readiness fails, new connections are served and told to close.
        expect(await waitForReadiness(server.url, 503)).toBe(true);
        const during = await getOnNewConnection(server.url, '/');
        expect(during).toMatchObject({ status: 200, connection: 'close' });
        expect((await getOnNewConnection(server.url, '/livez')).status).toBe(200);

        const answers = await Promise.all(inFlight);
        for (const slow of answers) {
          expect(slow).toMatchObject({ status: 200, connection: 'close' });
          expect(JSON.parse(slow.body)).toEqual({ waitedMs: 1500 });
        }

        const exit = await server.exited;
        expect([exit.code, exit.signal]).toEqual([0, null]);
        const exitMs = exit.at - signalledAt;
        // The slow requests had ~1250 ms left; Nest's teardown (closing the pool) takes 100 ms.
        expect(exitMs).toBeGreaterThanOrEqual(1300);
        expect(exitMs).toBeLessThan(10_000);
        const summary = summaryOf(server.stderr());
        expect(summary.exitCode).toBe(0);
        expect(summary.phases.draining).toBeGreaterThanOrEqual(490);
        expect(summary.hooks).toEqual([expect.objectContaining({ name: 'nestjs app.close()', ok: true })]);
        expect(summary.hooks[0]!.durationMs).toBeGreaterThanOrEqual(90);
        console.info(
          `example-nestjs (${platform}): ${answers.length}/${answers.length} in-flight answered, SIGTERM → exit ${exitMs} ms`,
          JSON.stringify(summary.phases),
        );
      } finally {
        await Promise.all(clients.map((client) => client.close()));
      }
    });

    it('SIGTERM when idle exits 0 right after the delay and the teardown', async () => {
      const server = await startServerProcess(mainFile, { env });
      const client = new KeepAliveClient(server.url);
      expect((await client.get('/')).status).toBe(200);
      const signalledAt = server.signal('SIGTERM');
      const exit = await server.exited;
      await client.close();
      expect([exit.code, exit.signal]).toEqual([0, null]);
      const exitMs = exit.at - signalledAt;
      expect(exitMs).toBeGreaterThanOrEqual(590);
      expect(exitMs).toBeLessThan(8000);
      console.info(`example-nestjs (${platform}): idle SIGTERM → exit ${exitMs} ms`);
    });

    it('refuses an unknown NEST_PLATFORM with a clear message', async () => {
      await expect(startServerProcess(mainFile, { env: { ...env, NEST_PLATFORM: 'koa' } })).rejects.toThrow(
        /NEST_PLATFORM expects 'express' or 'fastify'/,
      );
    });
  },
);

import { Writable } from 'node:stream';
import { getOnNewConnection, sleep } from '@lameduck/contract';
import { ErrorCodes } from '@lameduck/core';
import Fastify from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lameduck } from '../src/index.js';
import { closeApp, startApp } from './harness.js';

/** A pino destination that keeps every JSON line. */
function captureLines() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, stream };
}

const quiet = { signals: false, summary: false, exit: () => {} } as const;

describe('@lameduck/fastify plugin', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it.each([
    ['in front', false],
    ['as routes at probeLogLevel warn (probesInApp)', true],
  ] as const)(
    "logs through Fastify's logger, and leaves the probes out of the request log at info: %s",
    async (_, probesInApp) => {
      const { lines, stream } = captureLines();
      const exit = vi.fn<(code: number) => void>();
      const { app, url } = await startApp(
        { drainDelayMs: 0, signals: false, exit, summary: true, probesInApp },
        { logger: { level: 'info', stream } },
      );
      expect(app.hasRoute({ method: 'GET', url: '/readyz' })).toBe(probesInApp);
      cleanups.push(() => closeApp(app));
      expect((await getOnNewConnection(url, '/readyz')).status).toBe(200);
      expect((await getOnNewConnection(url, '/livez')).status).toBe(200);
      expect((await getOnNewConnection(url, '/')).status).toBe(200);
      await app.lameduck.shutdown('test');

      const requestUrls = lines.filter((line) => line.msg === 'incoming request').map((line) => line.req);
      expect(requestUrls).toEqual([expect.objectContaining({ url: '/' })]);
      const lameduckLines = lines.filter((line) => String(line.msg).startsWith('lameduck:'));
      expect(lameduckLines.map((line) => line.state).filter(Boolean)).toEqual([
        'serving',
        'draining',
        'closing',
        'cleanup',
        'stopped',
      ]);
      expect(lameduckLines.find((line) => line.state === 'draining')).toMatchObject({
        level: 30,
        reason: 'test',
      });
      expect(lines.some((line) => line.summary !== undefined)).toBe(true);
      expect(exit).toHaveBeenCalledExactlyOnceWith(0);
    },
  );

  it("warns when Fastify binds several addresses (host 'localhost'), and only then", async () => {
    const { lines, stream } = captureLines();
    const app = Fastify({ logger: { level: 'warn', stream } });
    await app.register(lameduck, quiet);
    await app.listen({ port: 0, host: 'localhost' });
    cleanups.push(() => closeApp(app));
    const warned = lines.some((line) => String(line.msg).includes('only the first one drains'));
    expect(warned).toBe(app.addresses().length > 1);
  });

  it('decorates the instance with the lameduck handle', async () => {
    const { app } = await startApp({ ...quiet, drainDelayMs: 0 });
    cleanups.push(() => closeApp(app));
    expect(app.hasDecorator('lameduck')).toBe(true);
    expect(app.lameduck.state).toBe('serving');
    expect(app.lameduck.options.drainDelayMs).toBe(0);
  });

  it('rejects unknown options and bad environment values with coded errors, at register time', async () => {
    const typo = Fastify();
    await expect(typo.register(lameduck, { ...quiet, drainDelay: 5 } as never)).rejects.toMatchObject({
      code: ErrorCodes.UNKNOWN_OPTION,
    });
    // The message lists the plugin's own options beside the core's, and the closest name.
    const typo2 = Fastify();
    const error = await typo2.register(lameduck, { ...quiet, readinesPath: '/r' } as never).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toMatchObject({ code: ErrorCodes.UNKNOWN_OPTION });
    for (const own of [
      'readinessPath',
      'livenessPath',
      'preStopPath',
      'probeLogLevel',
      'probesInApp',
      'drainDelayMs',
    ]) {
      expect(error?.message).toContain(own);
    }
    expect(error?.message).toContain('did you mean `readinessPath`?');
    const badEnv = Fastify();
    await expect(
      badEnv.register(lameduck, { ...quiet, env: { LAMEDUCK_DRAIN_DELAY_MS: '5s' } }),
    ).rejects.toMatchObject({ code: ErrorCodes.INVALID_ENV });
    const badPath = Fastify();
    await expect(badPath.register(lameduck, { ...quiet, readinessPath: 'readyz' })).rejects.toMatchObject({
      code: ErrorCodes.INVALID_OPTION,
    });
    const badExit = Fastify();
    await expect(badExit.register(lameduck, { ...quiet, exit: 'no' as never })).rejects.toMatchObject({
      code: ErrorCodes.INVALID_OPTION,
    });
  });

  it('refuses a second registration on the same instance with a coded error, before touching signals', async () => {
    const app = Fastify();
    await app.register(lameduck, quiet);
    const before = process.listenerCount('SIGTERM');
    await expect(app.register(lameduck, { summary: false, exit: () => {} })).rejects.toMatchObject({
      code: ErrorCodes.MISUSE,
    });
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });

  it("never mutates the caller's options and ignores Fastify's own register options", async () => {
    const options = Object.freeze({ ...quiet, drainDelayMs: 0, prefix: '/api', logLevel: 'error' as const });
    const { app, url } = await startApp(options);
    cleanups.push(() => closeApp(app));
    expect(options).toEqual({ ...quiet, drainDelayMs: 0, prefix: '/api', logLevel: 'error' });
    expect((await getOnNewConnection(url, '/readyz')).status).toBe(200);
  });

  it('turns a probe off with false', async () => {
    const { app, url } = await startApp({ ...quiet, livenessPath: false });
    cleanups.push(() => closeApp(app));
    expect((await getOnNewConnection(url, '/livez')).status).toBe(404);
    expect((await getOnNewConnection(url, '/readyz')).status).toBe(200);
  });

  it('a preStop path without a token fails the registration (LAMEDUCK_PRESTOP_TOKEN_MISSING)', async () => {
    const app = Fastify();
    await expect(
      app.register(lameduck, { preStopPath: '/prestop', signals: false, exit: () => {} }).ready(),
    ).rejects.toMatchObject({ code: 'LAMEDUCK_PRESTOP_TOKEN_MISSING' });
    await app.close().catch(() => {});
  });

  it('answers a preStop httpGet once the drain delay has passed', async () => {
    const exit = vi.fn<(code: number) => void>();
    const { app, url } = await startApp({
      drainDelayMs: 600,
      preStopPath: '/prestop',
      preStopToken: 'fastify-token',
      signals: false,
      exit,
    });
    cleanups.push(() => closeApp(app));
    const stranger = await getOnNewConnection(url, '/prestop');
    expect(stranger.status).toBe(401);
    expect(app.lameduck.state).toBe('serving');
    const startedAt = Date.now();
    const answer = await getOnNewConnection(url, '/prestop', { authorization: 'Bearer fastify-token' });
    expect(answer.status).toBe(200);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(580);
    const result = await app.lameduck.shutdown();
    expect(result).toMatchObject({ reason: 'preStop', exitCode: 0 });
    expect(exit).toHaveBeenCalledExactlyOnceWith(0);
  });

  it('removes its signal listeners once app.close() is done, and when closed before it was ever ready', async () => {
    const before = process.listenerCount('SIGTERM');
    const listened = Fastify();
    await listened.register(lameduck, { drainDelayMs: 0, summary: false, exit: () => {} });
    await listened.listen({ port: 0, host: '127.0.0.1' });
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    await listened.close();
    await sleep(10);
    expect(listened.lameduck.state).toBe('stopped');
    expect(process.listenerCount('SIGTERM')).toBe(before);

    const neverReady = Fastify();
    await neverReady.register(lameduck, { drainDelayMs: 0, summary: false, exit: () => {} });
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    await neverReady.close();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});

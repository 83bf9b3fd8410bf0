import type { AbstractHttpAdapter } from '@nestjs/core';
import { request } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp, startApp, type TestApp } from './utils/app.js';
import { platforms, urlOf } from './utils/platforms.js';

describe.each(platforms)('probes on $name', (platform) => {
  let current: TestApp | undefined;
  afterEach(async () => {
    await current?.app.close();
    current = undefined;
  });

  it('answers at the adapter level: guards, interceptors, middleware, prefix and versioning never touch them', async () => {
    current = await startApp(platform, {
      lameduck: { signals: false, exit: vi.fn() },
      rejectEverything: true,
      globalPrefix: 'api',
      uriVersioning: true,
    });
    // Every layer rejects business requests: Nest middleware answers 401 before the guard.
    const business = await request(`${current.url}/api/v1`);
    expect(business.statusCode).toBe(401);
    await business.body.dump();
    const unknown = await request(`${current.url}/api/v1/readyz`);
    expect(unknown.statusCode).not.toBe(200);
    await unknown.body.dump();

    const ready = await request(`${current.url}/readyz`);
    expect(ready.statusCode).toBe(200);
    expect(ready.headers['cache-control']).toBe('no-store');
    expect(await ready.body.json()).toMatchObject({ status: 'ok', state: 'serving' });

    const live = await request(`${current.url}/livez?verbose=1`);
    expect(live.statusCode).toBe(200);
    await live.body.dump();

    const head = await request(`${current.url}/readyz`, { method: 'HEAD' });
    expect(head.statusCode).toBe(200);
    expect(await head.body.text()).toBe('');
  });

  it('serves custom paths and leaves the default ones to the app', async () => {
    current = await startApp(platform, {
      lameduck: {
        signals: false,
        exit: vi.fn(),
        readinessPath: '/health/ready',
        livenessPath: '/health/live',
      },
    });
    expect((await request(`${current.url}/health/ready`)).statusCode).toBe(200);
    expect((await request(`${current.url}/health/live`)).statusCode).toBe(200);
    const old = await request(`${current.url}/readyz`);
    expect(old.statusCode).toBe(404);
    await old.body.dump();
  });

  it('runs readiness checks added through LameduckService', async () => {
    current = await startApp(platform, { lameduck: { signals: false, exit: vi.fn() } });
    let healthy = true;
    current.service.lameduck.addReadinessCheck('db', () => healthy);
    expect((await request(`${current.url}/readyz`)).statusCode).toBe(200);
    healthy = false;
    const failing = await request(`${current.url}/readyz`);
    expect(failing.statusCode).toBe(503);
    expect(await failing.body.json()).toMatchObject({ checks: { db: 'failed' } });
    // liveness is not readiness: it stays 200
    expect((await request(`${current.url}/livez`)).statusCode).toBe(200);
  });

  it('keeps liveness 200 and fails readiness while draining, business routes still 200', async () => {
    current = await startApp(platform, { lameduck: { signals: false, exit: vi.fn(), drainDelayMs: 400 } });
    const done = current.service.lameduck.shutdown('test');
    expect((await request(`${current.url}/readyz`)).statusCode).toBe(503);
    expect((await request(`${current.url}/livez`)).statusCode).toBe(200);
    const business = await request(`${current.url}/`);
    expect(business.statusCode).toBe(200);
    expect(await business.body.text()).toBe('ok');
    await done;
  });

  it('a preStop path without a token fails the module at start-up (LAMEDUCK_PRESTOP_TOKEN_MISSING)', async () => {
    await expect(
      createApp(platform, { lameduck: { signals: false, exit: vi.fn(), preStopPath: '/prestop' } }),
    ).rejects.toMatchObject({ code: 'LAMEDUCK_PRESTOP_TOKEN_MISSING' });
  });

  it('serves a preStop httpGet path that starts the shutdown and answers after the drain delay', async () => {
    const exit = vi.fn();
    current = await startApp(platform, {
      lameduck: {
        signals: false,
        exit,
        drainDelayMs: 300,
        preStopPath: '/prestop',
        preStopToken: 'nest-token',
      },
      rejectEverything: true,
    });
    const { service, url } = current;
    const stopped = new Promise((resolve) => service.lameduck.once('stopped', resolve));
    const stranger = await request(`${url}/prestop`, { headers: { authorization: 'Bearer nest' } });
    expect(stranger.statusCode).toBe(401);
    await stranger.body.dump();
    expect(service.lameduck.state).toBe('serving');
    const startedAt = performance.now();
    const preStop = await request(`${url}/prestop`, { headers: { authorization: 'Bearer nest-token' } });
    expect(preStop.statusCode).toBe(200);
    await preStop.body.dump();
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(290);
    await stopped;
    expect(exit).toHaveBeenCalledWith(0);
  });

  it("probesInApp: keeps the adapter's request hook set by someone else, and stays in front of one set later", async () => {
    const { app } = await createApp(platform, {
      lameduck: { signals: false, exit: vi.fn(), probesInApp: true },
    });
    const seen: string[] = [];
    // Like devtools or instrumentation, set after LameduckModule registered its probes.
    (app.getHttpAdapter() as unknown as AbstractHttpAdapter).setOnRequestHook(
      (req: unknown, _res: unknown, done: () => void) => {
        const raw = (req as { raw?: { url?: string }; url?: string }).raw ?? (req as { url?: string });
        seen.push(String(raw.url));
        done();
      },
    );
    await app.listen(0, '127.0.0.1');
    current = { app, url: await urlOf(app) } as TestApp;
    expect((await request(`${current.url}/readyz`)).statusCode).toBe(200);
    const business = await request(`${current.url}/`);
    expect(business.statusCode).toBe(200);
    await business.body.dump();
    expect(seen).toEqual(['/']);
  });

  it('answers in the server request listener, in front of the platform: no request hook is set, so Nest requests pay for none', async () => {
    current = await startApp(platform, { lameduck: { signals: false, exit: vi.fn() } });
    const adapter = current.app.getHttpAdapter() as unknown as {
      onRequestHook?: unknown;
      getInstance(): unknown;
    };
    const server = current.app.getHttpServer() as import('node:http').Server;
    const [listener] = server.rawListeners('request') as Array<{ listener?: unknown }>;
    expect(adapter.onRequestHook).toBeUndefined();
    expect(server.listenerCount('request')).toBe(1);
    // lameduck's wrapper around the platform's own listener.
    expect(listener?.listener).toBe(server.listeners('request')[0]);
    if (platform.name === 'express') expect(listener?.listener).toBe(adapter.getInstance());
    else {
      // Fastify's inject() skips the server, so the probes are not there (probesInApp puts them there).
      const fastify = adapter.getInstance() as { inject(url: string): Promise<{ statusCode: number }> };
      expect((await fastify.inject('/readyz')).statusCode).toBe(404);
    }
    expect((await request(`${current.url}/readyz`)).statusCode).toBe(200);
  });

  it(
    platform.name === 'express'
      ? 'probesInApp: answers in the request hook, so a server made around the bare Express instance gets them too'
      : "probesInApp: answers in the adapter's request hook, so app.inject() (which skips the server) gets them too",
    async () => {
      current = await startApp(platform, { lameduck: { signals: false, exit: vi.fn(), probesInApp: true } });
      const adapter = current.app.getHttpAdapter() as unknown as {
        onRequestHook?: unknown;
        getInstance(): unknown;
      };
      expect(typeof adapter.onRequestHook).toBe('function');
      if (platform.name === 'express') {
        const { createServer } = await import('node:http');
        const bare = createServer(adapter.getInstance() as import('node:http').RequestListener);
        await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
        try {
          const { port } = bare.address() as { port: number };
          const ready = await request(`http://127.0.0.1:${port}/readyz`);
          expect(ready.statusCode).toBe(200);
          expect(await ready.body.json()).toMatchObject({ status: 'ok' });
        } finally {
          bare.closeAllConnections();
          await new Promise((resolve) => bare.close(resolve));
        }
      } else {
        const fastify = adapter.getInstance() as { inject(url: string): Promise<{ statusCode: number }> };
        expect((await fastify.inject('/readyz')).statusCode).toBe(200);
      }
      expect((await request(`${current.url}/readyz`)).statusCode).toBe(200);
    },
  );

  it('probesInApp takes true or false only (LAMEDUCK_INVALID_OPTION)', async () => {
    await expect(
      createApp(platform, { lameduck: { signals: false, exit: vi.fn(), probesInApp: 'yes' as never } }),
    ).rejects.toMatchObject({ code: 'LAMEDUCK_INVALID_OPTION' });
  });

  it('a server with a second request listener at bootstrap gets the probes through the request hook instead', async () => {
    const { app } = await createApp(platform, { lameduck: { signals: false, exit: vi.fn() } });
    const server = app.getHttpServer() as import('node:http').Server;
    const seen: string[] = [];
    server.on('request', (req: { url?: string }) => seen.push(String(req.url)));
    await app.listen(0, '127.0.0.1');
    current = { app, url: await urlOf(app) } as TestApp;
    const ready = await request(`${current.url}/readyz`);
    expect(ready.statusCode).toBe(200);
    expect(await ready.body.json()).toMatchObject({ status: 'ok' });
    expect((await request(`${current.url}/livez`)).statusCode).toBe(200);
    const business = await request(`${current.url}/`);
    expect(business.statusCode).toBe(200);
    await business.body.dump();
    expect(seen).toEqual(['/readyz', '/livez', '/']);
  });
});

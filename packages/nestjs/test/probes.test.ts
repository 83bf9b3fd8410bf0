import { request } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startApp, type TestApp } from './utils/app.js';
import { platforms } from './utils/platforms.js';

describe.each(platforms)('probes on $name', (platform) => {
  let current: TestApp | undefined;
  afterEach(async () => {
    await current?.app.close();
    current = undefined;
  });

  it('answers at the adapter level: a global guard, prefix and URI versioning never touch them', async () => {
    current = await startApp(platform, {
      lameduck: { signals: false, exit: vi.fn() },
      rejectEverything: true,
      globalPrefix: 'api',
      uriVersioning: true,
    });
    const business = await request(`${current.url}/api/v1`);
    expect(business.statusCode).toBe(403);
    await business.body.dump();

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

  it('serves a preStop httpGet path that starts the shutdown and answers after the drain delay', async () => {
    const exit = vi.fn();
    current = await startApp(platform, {
      lameduck: { signals: false, exit, drainDelayMs: 300, preStopPath: '/prestop' },
      rejectEverything: true,
    });
    const { service, url } = current;
    const stopped = new Promise((resolve) => service.lameduck.once('stopped', resolve));
    const startedAt = performance.now();
    const preStop = await request(`${url}/prestop`);
    expect(preStop.statusCode).toBe(200);
    await preStop.body.dump();
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(290);
    await stopped;
    expect(exit).toHaveBeenCalledWith(0);
  });
});

import { EventEmitter } from 'node:events';
import type { ShutdownResult } from '@lameduck/core';
import { Pool, request } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startApp, type TestApp } from './utils/app.js';
import { platforms } from './utils/platforms.js';

const SLOW_MS = 700;
const IN_FLIGHT = 12;
const DRAIN_DELAY_MS = 300;

describe.each(platforms)('drain before teardown on $name', (platform) => {
  let current: TestApp | undefined;
  let pool: Pool | undefined;
  afterEach(async () => {
    await pool?.destroy();
    pool = undefined;
    current = undefined;
  });

  it('finishes every in-flight request before any onModuleDestroy, then exits with code 0', async () => {
    const signals = new EventEmitter();
    const exit = vi.fn();
    current = await startApp(platform, {
      lameduck: { signalSource: signals, exit, drainDelayMs: DRAIN_DELAY_MS, drainTimeoutMs: 5000 },
    });
    const { url, service, log } = current;
    pool = new Pool(url, { connections: IN_FLIGHT, pipelining: 1 });
    const stopped = new Promise<ShutdownResult>((resolve) => service.lameduck.once('stopped', resolve));

    const slow = Array.from({ length: IN_FLIGHT }, () =>
      pool!.request({ path: `/slow?ms=${SLOW_MS}`, method: 'GET' }).then(async (res) => ({
        status: res.statusCode,
        connection: res.headers.connection,
        body: await res.body.text(),
      })),
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    const signalledAt = performance.now();
    signals.emit('SIGTERM', 'SIGTERM');

    // During the drain delay new connections are served normally and told to go away.
    const during = await request(`${url}/`);
    expect(during.statusCode).toBe(200);
    expect(during.headers.connection).toBe('close');
    expect(await during.body.text()).toBe('ok');

    const results = await Promise.all(slow);
    const result = await stopped;
    const exitMs = performance.now() - signalledAt;

    expect(results.filter((r) => r.status === 200 && r.body === 'ok')).toHaveLength(IN_FLIGHT);
    for (const r of results) expect(r.connection).toBe('close');
    const firstDestroy = log.events.indexOf('pool:onModuleDestroy');
    expect(firstDestroy).toBeGreaterThan(-1);
    expect(log.events.lastIndexOf('request:done')).toBeLessThan(firstDestroy);
    expect(log.events.filter((e) => e === 'request:done')).toHaveLength(IN_FLIGHT);
    expect(current.pool.closed).toBe(true);
    expect(result.exitCode).toBe(0);
    expect(result.reason).toBe('SIGTERM');
    expect(result.socketsDestroyed).toBe(0);
    expect(result.hooks.map((h) => [h.name, h.ok])).toEqual([['nestjs app.close()', true]]);
    expect(exit).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledWith(0);
    expect(current.app.getHttpServer().listening).toBe(false);
    expect(exitMs).toBeGreaterThanOrEqual(DRAIN_DELAY_MS);
    console.log(
      `[${platform.name}] in flight at SIGTERM: ${IN_FLIGHT} ok / ${IN_FLIGHT - results.filter((r) => r.status === 200).length} failed; during drain: ${result.requestsDuringDrain}; SIGTERM→exit ${exitMs.toFixed(0)} ms (phases ${JSON.stringify(result.phases)})`,
    );
  });

  it("runs the app's lameduck hooks before Nest's teardown and hands Nest the signal", async () => {
    const signals = new EventEmitter();
    const exit = vi.fn();
    current = await startApp(platform, { lameduck: { signalSource: signals, exit } });
    const { service, log } = current;
    service.lameduck.onShutdown('flush', () => log.push('hook:flush'));
    const stopped = new Promise<ShutdownResult>((resolve) => service.lameduck.once('stopped', resolve));
    signals.emit('SIGINT', 'SIGINT');
    const result = await stopped;
    expect(log.events).toEqual(['hook:flush', 'pool:onModuleDestroy']);
    expect(result.hooks.map((h) => h.name)).toEqual(['flush', 'nestjs app.close()']);
    expect(exit).toHaveBeenCalledWith(0);
  });

  it('exits non-zero when Nest teardown hangs past the cleanup timeout', async () => {
    const signals = new EventEmitter();
    const exit = vi.fn();
    current = await startApp(platform, {
      lameduck: { signalSource: signals, exit, cleanupTimeoutMs: 300, hookTimeoutMs: 300 },
    });
    // Nest logs and swallows provider hook errors; a hang is what can stall the teardown.
    vi.spyOn(current.pool, 'onModuleDestroy').mockReturnValueOnce(new Promise(() => undefined));
    const stopped = new Promise<ShutdownResult>((resolve) =>
      current!.service.lameduck.once('stopped', resolve),
    );
    const signalledAt = performance.now();
    signals.emit('SIGTERM', 'SIGTERM');
    const result = await stopped;
    expect(performance.now() - signalledAt).toBeGreaterThanOrEqual(290);
    expect(result.exitCode).toBe(1);
    expect(result.hooks[0]).toMatchObject({ name: 'nestjs app.close()', ok: false });
    expect(exit).toHaveBeenCalledWith(1);
  });
});

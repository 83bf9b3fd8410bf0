import { EventEmitter } from 'node:events';
import { DEFAULTS } from '@lameduck/core';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Pool } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BusinessController, EVENT_LOG, EventLog, FakePool, startApp } from './utils/app.js';
import { platforms, urlOf } from './utils/platforms.js';

const SLOW_MS = 500;
const IN_FLIGHT = 8;

async function inFlight(url: string): Promise<{ pool: Pool; results: Promise<Array<number | string>> }> {
  const pool = new Pool(url, { connections: IN_FLIGHT });
  const results = Promise.all(
    Array.from({ length: IN_FLIGHT }, () =>
      pool.request({ path: `/slow?ms=${SLOW_MS}`, method: 'GET' }).then(
        async (res) => {
          await res.body.dump();
          return res.statusCode;
        },
        (error: Error & { code?: string }) => error.code ?? error.message,
      ),
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, 100));
  return { pool, results };
}

describe.each(platforms)('app.close() on $name', (platform) => {
  let pool: Pool | undefined;
  afterEach(async () => {
    await pool?.destroy();
    pool = undefined;
  });

  it('drains HTTP before onModuleDestroy and leaves the process running', async () => {
    const exit = vi.fn();
    const { app, url, service, log } = await startApp(platform, { lameduck: { signals: false, exit } });
    service.lameduck.onShutdown('flush', () => log.push('hook:flush'));
    const load = await inFlight(url);
    pool = load.pool;
    await app.close();
    expect(await load.results).toEqual(Array(IN_FLIGHT).fill(200));
    // Same order as on SIGTERM: requests, the app's lameduck hooks, then Nest's teardown.
    expect(log.events).toEqual([
      ...Array(IN_FLIGHT).fill('request:done'),
      'hook:flush',
      'pool:onModuleDestroy',
    ]);
    const result = await service.lameduck.shutdown();
    expect(result).toMatchObject({ reason: 'app.close()', exitCode: 0 });
    // app.close() started it: whoever called app.close() decides how the process ends.
    expect(exit).not.toHaveBeenCalled();
    expect(app.getHttpServer().listening).toBe(false);
  });

  it('a second signal during an app.close() drain still forces the exit', async () => {
    const signals = new EventEmitter();
    const exit = vi.fn();
    const { app, service } = await startApp(platform, {
      lameduck: { signalSource: signals, exit, drainDelayMs: 300 },
    });
    const closed = app.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(service.lameduck.state).toBe('draining');
    signals.emit('SIGTERM', 'SIGTERM'); // joins the running shutdown
    expect(exit).not.toHaveBeenCalled();
    signals.emit('SIGTERM', 'SIGTERM'); // the operator insists: exit now
    expect(exit).toHaveBeenCalledWith(DEFAULTS.forceExitCode);
    await closed;
    expect(exit).toHaveBeenCalledTimes(1);
  });

  it('on a Nest without the receivedSignal field, a close with a signal (its listener) still ends the process', async () => {
    const exit = vi.fn();
    const { app, service } = await startApp(platform, { lameduck: { signals: false, exit } });
    // What a Nest version that renamed its internal field looks like to lameduck.
    delete (app as unknown as { receivedSignal?: boolean }).receivedSignal;
    // What Nest's enableShutdownHooks() listener does on SIGTERM (before re-raising it).
    await (app.close as (signal?: string) => Promise<void>).call(app, 'SIGTERM');
    expect(await service.lameduck.shutdown()).toMatchObject({ reason: 'app.close()', exitCode: 0 });
    expect(exit).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledWith(0);
  });

  it('control: without lameduck, app.close() destroys the pool under in-flight requests', async () => {
    const log = new EventLog();
    @Module({
      controllers: [BusinessController],
      providers: [FakePool, { provide: EVENT_LOG, useValue: log }],
    })
    class PlainModule {}
    const app = await NestFactory.create(PlainModule, platform.createAdapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    const load = await inFlight(await urlOf(app));
    pool = load.pool;
    const closing = app.close();
    const results = await load.results;
    expect(results.filter((r) => r === 200).length).toBeLessThan(IN_FLIGHT);
    await pool.destroy();
    await closing;
  });
});

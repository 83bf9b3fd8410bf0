import type { LameduckOptions, Logger, ShutdownResult, State } from '@lameduck/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getOnNewConnection, KeepAliveClient, sleep, tryConnect } from './client.js';
import type { ContractApp, ContractHarness, ContractProbePaths } from './index.js';
import { longLivedContract } from './long-lived-contract.js';

/** Time for a request sent on 127.0.0.1 to reach the app's handler. */
const ARRIVAL_MS = 250;

interface Started {
  readonly app: ContractApp;
  readonly exit: ReturnType<typeof vi.fn<(code: number) => void>>;
  readonly logs: { level: keyof Logger; obj: object; msg?: string }[];
  readonly states: State[];
  readonly client: KeepAliveClient;
}

/**
 * The shutdown contract every lameduck adapter keeps. Call it at the top level of an adapter's
 * test file, once per framework version:
 *
 * @example
 * runAdapterContract({ name: 'express 5', start: (options, probes) => startExpress(express, options, probes) });
 */
export function runAdapterContract(harness: ContractHarness): void {
  describe(`adapter contract: ${harness.name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];

    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function start(options: LameduckOptions = {}, probes?: ContractProbePaths): Promise<Started> {
      const exit = vi.fn<(code: number) => void>();
      const logs: Started['logs'] = [];
      const record =
        (level: keyof Logger) =>
        (obj: object, msg?: string): void => {
          logs.push({ level, obj, msg });
        };
      const logger: Logger = {
        debug: record('debug'),
        info: record('info'),
        warn: record('warn'),
        error: record('error'),
      };
      const app = await harness.start(
        {
          drainDelayMs: 0,
          drainTimeoutMs: 5000,
          cleanupTimeoutMs: 2000,
          summary: false,
          ...options,
          signals: false,
          exit,
          env: {},
          logger,
        },
        probes,
      );
      const states: State[] = [];
      app.lameduck.on('state', (state) => states.push(state));
      const client = new KeepAliveClient(app.url);
      cleanups.push(async () => {
        await client.close();
        await app.close();
      });
      return { app, exit, logs, states, client };
    }

    describe('probes', () => {
      it('readiness answers 503 while starting and 200 once ready; liveness answers 200 throughout', async () => {
        const { app, client } = await start({ readyOnListening: false });
        expect(app.lameduck.state).toBe('starting');

        const starting = await client.get('/readyz');
        expect(starting.status).toBe(503);
        expect(JSON.parse(starting.body)).toMatchObject({ status: 'unavailable', state: 'starting' });
        expect((await client.get('/livez')).status).toBe(200);

        app.lameduck.ready();
        const serving = await client.get('/readyz');
        expect(serving.status).toBe(200);
        expect(JSON.parse(serving.body)).toMatchObject({ status: 'ok', state: 'serving' });
        expect((await client.get('/livez')).status).toBe(200);
      });

      it('is ready as soon as the attached server listens, and answers HEAD and query strings', async () => {
        const { client } = await start();
        expect((await client.get('/readyz?verbose=1')).status).toBe(200);
        const head = await client.get('/readyz', 'HEAD');
        expect(head.status).toBe(200);
        expect(head.body).toBe('');
        expect((await client.get('/livez', 'HEAD')).status).toBe(200);
      });

      it('serves the probes at configured paths, and leaves the default paths to the app', async () => {
        const { client } = await start({}, { readinessPath: '/health/ready', livenessPath: '/health/live' });
        expect((await client.get('/health/ready')).status).toBe(200);
        expect((await client.get('/health/live')).status).toBe(200);
        expect((await client.get('/readyz')).status).toBe(404);
        expect((await client.get('/livez')).status).toBe(404);
        expect((await client.get('/')).body).toBe('ok');
      });
    });

    describe('draining', () => {
      it('fails readiness, keeps liveness at 200, and serves business routes with Connection: close', async () => {
        const { app, client } = await start({ drainDelayMs: 1500 });
        const before = await client.get('/');
        expect(before).toMatchObject({ status: 200, body: 'ok' });
        expect(before.connection).not.toBe('close');
        expect(client.connections).toBe(1);

        const stopped = app.lameduck.shutdown('contract');
        expect(app.lameduck.state).toBe('draining');

        // The kept-alive connection is told to go elsewhere with its next response.
        const onKeptAlive = await client.get('/');
        expect(onKeptAlive).toMatchObject({ status: 200, body: 'ok', connection: 'close' });

        // New connections during the drain delay are served normally (the endpoint path lags).
        const readiness = await getOnNewConnection(app.url, '/readyz');
        expect(readiness.status).toBe(503);
        expect(JSON.parse(readiness.body)).toMatchObject({ status: 'unavailable', state: 'draining' });
        expect((await getOnNewConnection(app.url, '/livez')).status).toBe(200);
        const business = await Promise.all(Array.from({ length: 8 }, () => getOnNewConnection(app.url, '/')));
        for (const answer of business)
          expect(answer).toMatchObject({ status: 200, body: 'ok', connection: 'close' });
        expect(app.lameduck.state).toBe('draining');

        const result = await stopped;
        expect(result.exitCode).toBe(0);
        expect(result.requestsDuringDrain).toBeGreaterThanOrEqual(business.length + 1);
      });

      it('liveness stays 200 in every phase until stopped', async () => {
        const { app, client } = await start({ drainDelayMs: 1000 });
        const inFlight = client.get('/slow?ms=1600');
        await sleep(ARRIVAL_MS);
        const stopped = app.lameduck.shutdown('contract');
        const draining = await getOnNewConnection(app.url, '/livez');
        expect(draining.status).toBe(200);
        expect(JSON.parse(draining.body)).toMatchObject({ state: 'draining' });
        expect((await inFlight).status).toBe(200);
        expect((await stopped).exitCode).toBe(0);
      });

      it('an in-flight request completes with Connection: close, and the drain is clean', async () => {
        const { app, client, exit } = await start({ drainDelayMs: 300 });
        expect((await client.get('/')).status).toBe(200);
        const startedAt = Date.now();
        const inFlight = client.get('/slow?ms=1200');
        await sleep(ARRIVAL_MS);
        const stopped = app.lameduck.shutdown('contract');

        const answer = await inFlight;
        expect(answer).toMatchObject({ status: 200, body: 'slow', connection: 'close' });
        expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1150);

        const result = await stopped;
        expect(result).toMatchObject({ exitCode: 0, socketsDestroyed: 0, deadlineExceeded: false });
        expect(exit).toHaveBeenCalledTimes(1);
        expect(exit).toHaveBeenCalledWith(0);
      });

      it('once the drain delay is over, new connections are refused at the TCP level', async () => {
        const { app, client, states } = await start({ drainDelayMs: 300 });
        const inFlight = client.get('/slow?ms=1500');
        await sleep(ARRIVAL_MS);
        const closing = new Promise<void>((resolve) => app.lameduck.once('closing', () => resolve()));
        const stopped = app.lameduck.shutdown('contract');

        expect(await tryConnect(app.url)).toBe('connected');
        await closing;
        expect(app.lameduck.state).toBe('closing');
        expect(await tryConnect(app.url)).toBe('ECONNREFUSED');

        expect((await inFlight).status).toBe(200);
        const result = await stopped;
        expect(result.exitCode).toBe(0);
        expect(states).toEqual(['draining', 'closing', 'cleanup', 'stopped']);
      });

      it('closes idle keep-alive connections at the end of the delay instead of waiting for them', async () => {
        const { app, client } = await start({ drainDelayMs: 200, drainTimeoutMs: 8000 });
        expect((await client.get('/')).status).toBe(200);
        const result = await app.lameduck.shutdown('contract');
        expect(result).toMatchObject({ exitCode: 0, socketsDestroyed: 0 });
        expect(result.phases.closing).toBeLessThan(4000);
        // The server closed the idle socket; the client hears of it a moment later.
        for (let attempt = 0; attempt < 50 && client.disconnections === 0; attempt += 1) await sleep(20);
        expect(client.disconnections).toBe(1);
        expect(client.connections).toBe(1);
      });

      it('a request that outlives the drain timeout is cut, and the exit code says the drain was not clean', async () => {
        const { app, client, exit } = await start({ drainDelayMs: 100, drainTimeoutMs: 300 });
        const inFlight = client.get('/slow?ms=4000').then(
          () => 'answered',
          () => 'failed',
        );
        await sleep(ARRIVAL_MS);
        const result = await app.lameduck.shutdown('contract');
        expect(result.socketsDestroyed).toBe(1);
        expect(result.exitCode).not.toBe(0);
        expect(await inFlight).toBe('failed');
        expect(exit).toHaveBeenCalledWith(result.exitCode);
      });
    });

    longLivedContract(start);

    describe('cleanup hooks', () => {
      it('run after the drain, once, last registered first, however often shutdown is called', async () => {
        const { app, client, exit } = await start({ drainDelayMs: 200 });
        const calls: string[] = [];
        const hookTimes: number[] = [];
        app.lameduck.onShutdown('database', () => {
          calls.push('database');
          hookTimes.push(Date.now());
        });
        app.lameduck.onShutdown('queue', async () => {
          await sleep(20);
          calls.push('queue');
          hookTimes.push(Date.now());
        });

        const sentAt = Date.now();
        const inFlight = client.get('/slow?ms=900');
        await sleep(ARRIVAL_MS);
        const first = app.lameduck.shutdown('first');
        const second = app.lameduck.shutdown('second');
        expect(second).toBe(first);
        expect(calls).toEqual([]);

        expect((await inFlight).status).toBe(200);
        const result: ShutdownResult = await first;
        await app.lameduck.shutdown('third');

        expect(calls).toEqual(['queue', 'database']);
        // The slow response ended no earlier than 900 ms after it was sent; the hooks came after it.
        for (const time of hookTimes) expect(time).toBeGreaterThanOrEqual(sentAt + 880);
        expect(result.reason).toBe('first');
        // Adapters may register hooks of their own (fastify.close); the user's keep their order.
        const userHooks = result.hooks.filter((hook) => hook.name === 'queue' || hook.name === 'database');
        expect(userHooks.map((hook) => [hook.name, hook.ok])).toEqual([
          ['queue', true],
          ['database', true],
        ]);
        expect(exit).toHaveBeenCalledTimes(1);
        expect(exit).toHaveBeenCalledWith(0);
      });
    });
  });
}

import { type Answer, KeepAliveClient, sleep } from '@lameduck/contract';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeApp, startApp } from './harness.js';

const quietOptions = { signals: false, summary: false, exit: () => {} } as const;

/** Time for a request sent on 127.0.0.1 to reach the handler. */
const ARRIVAL_MS = 250;

interface HookView {
  at: number;
  inFlight: number;
  listening: boolean;
  state: string;
}

/** An app whose `onClose` hook (standing for a DB pool) records what it sees. */
async function startWatchedApp(drainDelayMs: number) {
  const exit = vi.fn<(code: number) => void>();
  let inFlight = 0;
  const seen: HookView[] = [];
  const { app, url } = await startApp({ drainDelayMs, signals: false, exit, summary: false }, {}, (app) => {
    app.addHook('onRequest', async (request) => {
      inFlight += 1;
      request.raw.once('close', () => {
        inFlight -= 1;
      });
    });
    app.addHook('onClose', async (instance: FastifyInstance) => {
      seen.push({
        at: Date.now(),
        inFlight,
        listening: instance.server.listening,
        state: instance.lameduck.state,
      });
    });
  });
  return { app, url, exit, seen };
}

describe('the onClose hooks run after HTTP has drained', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function slowRequestThenClose(close: (app: FastifyInstance) => Promise<unknown>) {
    const watched = await startWatchedApp(300);
    const client = new KeepAliveClient(watched.url);
    cleanups.push(async () => {
      await client.close();
      await closeApp(watched.app);
    });
    const slow: Promise<Answer> = client.get('/slow?ms=1200');
    await sleep(ARRIVAL_MS);
    const closed = close(watched.app);
    const answer = await slow;
    await closed;
    return { ...watched, answer };
  }

  it('on lameduck.shutdown() (what SIGTERM runs): zero requests in flight, listener closed, exit 0', async () => {
    const { app, answer, seen, exit } = await slowRequestThenClose((app) => app.lameduck.shutdown('test'));
    expect(answer).toMatchObject({ status: 200, body: 'slow', connection: 'close' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ inFlight: 0, listening: false, state: 'cleanup' });
    expect(seen[0]?.at).toBeGreaterThanOrEqual(answer.endedAt - 5);
    expect(app.lameduck.state).toBe('stopped');
    expect(exit).toHaveBeenCalledExactlyOnceWith(0);
  });

  it('on app.close() called directly: the same order, and app.close() leaves the process to its caller', async () => {
    const { app, answer, seen, exit } = await slowRequestThenClose((app) => app.close());
    expect(answer).toMatchObject({ status: 200, body: 'slow', connection: 'close' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ inFlight: 0, listening: false, state: 'cleanup' });
    expect(seen[0]?.at).toBeGreaterThanOrEqual(answer.endedAt - 5);
    // app.close() resolved once the whole sequence had stopped.
    expect(app.lameduck.state).toBe('stopped');
    const result = await app.lameduck.shutdown();
    expect(result).toMatchObject({ reason: 'fastify.close()', exitCode: 0, socketsDestroyed: 0 });
    expect(result.hooks.map((hook) => [hook.name, hook.ok])).toEqual([['fastify.close', true]]);
    expect(exit).not.toHaveBeenCalled();
  });

  for (const how of ['app.close()', 'lameduck.shutdown()'] as const) {
    it(`lameduck hooks run before the onClose hooks, each set once, whoever starts (${how})`, async () => {
      const calls: string[] = [];
      const { app } = await startApp({ ...quietOptions, drainDelayMs: 100 }, {}, (app) => {
        app.addHook('onClose', async () => {
          calls.push(`onClose (${app.lameduck.state})`);
        });
      });
      cleanups.push(() => closeApp(app));
      app.lameduck.onShutdown('telemetry', () => {
        calls.push('telemetry');
      });
      await (how === 'app.close()' ? app.close() : app.lameduck.shutdown('test'));
      expect(calls).toEqual(['telemetry', 'onClose (cleanup)']);
      await app.close();
      await app.lameduck.shutdown();
      expect(calls).toHaveLength(2);
    });
  }

  it('app.close() still runs the onClose hooks when earlier lameduck hooks spent the cleanup budget', async () => {
    let closedPool = false;
    const { app } = await startApp({ ...quietOptions, drainDelayMs: 0, cleanupTimeoutMs: 300 }, {}, (app) => {
      app.addHook('onClose', async () => {
        await sleep(50); // longer than what the budget has left, whether the hook is skipped or starts
        closedPool = true;
      });
    });
    cleanups.push(() => closeApp(app));
    app.lameduck.onShutdown('hangs', () => new Promise(() => {}), { timeoutMs: 300 });
    await app.close();
    expect(closedPool).toBe(true);
    const result = await app.lameduck.shutdown();
    expect(result.hooks.map((hook) => [hook.name, hook.ok])).toEqual([
      ['hangs', false],
      ['fastify.close', false],
    ]);
    expect(result.exitCode).toBe(1);
  });

  it('a user hook slower than hookTimeoutMs still gets the whole cleanup budget', async () => {
    const exit = vi.fn<(code: number) => void>();
    const { app } = await startApp(
      { drainDelayMs: 0, hookTimeoutMs: 100, cleanupTimeoutMs: 2000, signals: false, exit, summary: false },
      {},
      (app) => app.addHook('onClose', () => sleep(400)),
    );
    cleanups.push(() => closeApp(app));
    const result = await app.lameduck.shutdown('test');
    expect(result.exitCode).toBe(0);
    expect(result.hooks[0]).toMatchObject({ name: 'fastify.close', ok: true });
    expect(result.hooks[0]?.durationMs).toBeGreaterThanOrEqual(380);
  });

  it('a failing onClose hook makes the exit code non-zero', async () => {
    const exit = vi.fn<(code: number) => void>();
    const { app } = await startApp({ drainDelayMs: 0, signals: false, exit, summary: false }, {}, (app) =>
      app.addHook('onClose', async () => {
        throw new Error('pool.end() failed');
      }),
    );
    cleanups.push(() => closeApp(app));
    const result = await app.lameduck.shutdown('test');
    expect(result.hooks[0]).toMatchObject({ name: 'fastify.close', ok: false });
    expect(exit).toHaveBeenCalledExactlyOnceWith(1);
  });
});

import { existsSync } from 'node:fs';
import type * as http from 'node:http';
import { fileURLToPath } from 'node:url';
import {
  createLameduck,
  ErrorCodes,
  type Lameduck,
  LameduckError,
  type LameduckOptions,
  type ListenOptions,
  type Logger,
  type ProbePaths,
} from '@lameduck/core';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { KeepAliveClient, sleep } from './client.js';
import type { ContractApp } from './index.js';
import { killServerProcesses, startServerProcess } from './process.js';

/** Closes what a test left open: every connection, then the listener if it still listens. */
export async function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  if (!server.listening) return;
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** The base URL of a server listening on 127.0.0.1. */
export function urlOf(server: http.Server): string {
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** What a contract harness returns for an app it started on `server`. */
export function contractApp(lameduck: Lameduck, server: http.Server): ContractApp {
  return {
    url: urlOf(server),
    lameduck,
    async close() {
      lameduck.dispose();
      await closeServer(server);
    },
  };
}

/** Asserts that `fn` throws a LameduckError with `code` (never the message text). */
export function expectLameduckError(fn: () => unknown, code: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(LameduckError);
  expect((thrown as LameduckError).code).toBe(code);
}

/** A logger that keeps its warnings. */
export function recordingLogger(): { logger: Logger; warnings: { obj: object; msg?: string }[] } {
  const warnings: { obj: object; msg?: string }[] = [];
  const logger: Logger = {
    debug() {},
    info() {},
    error() {},
    warn: (obj, msg) => warnings.push({ obj, msg }),
  };
  return { logger, warnings };
}

/**
 * Per-test clean-up for an adapter's own tests (registers an `afterEach`): what `defer`
 * receives runs after the test, last deferred first.
 */
export function adapterTestScope() {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const defer = (cleanup: () => Promise<void>): void => {
    cleanups.push(cleanup);
  };
  return {
    defer,
    /** An instance without signals, exit or summary, disposed after the test. */
    newLameduck(options: LameduckOptions = {}): Lameduck {
      const lameduck = createLameduck({
        signals: false,
        exit: () => {},
        env: {},
        summary: false,
        ...options,
      });
      defer(async () => lameduck.dispose());
      return lameduck;
    },
    /** A keep-alive client to `server`; both are closed after the test. */
    clientOf(server: http.Server): KeepAliveClient {
      const client = new KeepAliveClient(urlOf(server));
      defer(async () => {
        await client.close();
        await closeServer(server);
      });
      return client;
    },
  };
}

/** An adapter whose built `dist/` is run by the fixtures in `test/fixtures/` of its package. */
export interface BuiltAdapter {
  /** The package folder, e.g. `new URL('../', import.meta.url)` from its test folder. */
  readonly packageDir: URL;
  /** Environment variable the fixtures read to pick the framework module. */
  readonly moduleEnv: string;
  /** [name shown in the test, module the fixture loads], one per framework major. */
  readonly frameworks: readonly (readonly [string, string])[];
}

/**
 * The built package (CommonJS and ESM entries) drains a real process on SIGTERM, for each
 * framework major; a server that was never attached still drains what the middleware tracked.
 * Fixtures: `app.cjs`, `app.mjs` (log `{ msg: 'listening', format }`, route `/slow`, a hook
 * that logs the state) and `no-attach.mjs`.
 */
export function testBuiltAdapter(adapter: BuiltAdapter): void {
  const fixture = (name: string) => fileURLToPath(new URL(`test/fixtures/${name}`, adapter.packageDir));

  beforeAll(() => {
    for (const file of ['index.js', 'index.cjs']) {
      const built = fileURLToPath(new URL(`dist/${file}`, adapter.packageDir));
      if (!existsSync(built)) {
        throw new Error(
          `${built} is missing: run \`npx tsup\` in ${fileURLToPath(adapter.packageDir)} first`,
        );
      }
    }
  });

  afterEach(killServerProcesses);

  describe.each([
    ['CommonJS (require)', 'app.cjs', 'cjs'],
    ['ESM (import)', 'app.mjs', 'esm'],
  ])('the built package from %s', (_label, file, format) => {
    it.each(adapter.frameworks)(
      '%s: SIGTERM drains an in-flight request, runs the hook and exits 0',
      async (_name, module) => {
        const server = await startServerProcess(fixture(file), { env: { [adapter.moduleEnv]: module } });
        expect(server.jsonLines()[0]).toMatchObject({ msg: 'listening', format });
        const client = new KeepAliveClient(server.url);
        try {
          expect(await client.get('/')).toMatchObject({ status: 200, body: 'ok' });
          expect((await client.get('/readyz')).status).toBe(200);
          const slow = new KeepAliveClient(server.url);
          const inFlight = slow.get('/slow?ms=1000');
          await sleep(250);
          const signalledAt = server.signal('SIGTERM');

          const answer = await inFlight;
          expect(answer).toMatchObject({ status: 200, body: 'slow', connection: 'close' });
          const exit = await server.exited;
          expect([exit.code, exit.signal]).toEqual([0, null]);
          // The drain delay (300 ms) and the in-flight request (~750 ms left) both passed first.
          expect(exit.at - signalledAt).toBeGreaterThanOrEqual(700);
          expect(server.jsonLines()).toContainEqual({ msg: 'cleanup', state: 'cleanup' });
          await slow.close();
        } finally {
          await client.close();
        }
      },
    );
  });

  describe('a server that was never attached', () => {
    it('SIGTERM: logs MISUSE warnings that say what to do (first request, drain), still finishes the tracked request, exits 0', async () => {
      const server = await startServerProcess(fixture('no-attach.mjs'), {
        env: { NODE_ENV: 'production', VITEST: '' },
      });
      const client = new KeepAliveClient(server.url);
      try {
        const inFlight = client.get('/slow?ms=800');
        await sleep(250);
        server.signal('SIGTERM');
        expect(await inFlight).toMatchObject({ status: 200, body: 'slow', connection: 'close' });
        const exit = await server.exited;
        expect([exit.code, exit.signal]).toEqual([0, null]);
        const warnings = server
          .stderr()
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as { code?: string; msg?: string; check?: string })
          .filter((line) => line.code === ErrorCodes.MISUSE);
        // Once when the first request arrived with no server attached, once when the drain starts.
        expect(warnings.map((line) => line.check ?? 'shutdown')).toEqual(['no-server', 'shutdown']);
        for (const warning of warnings) expect(warning.msg).toContain('attach(server)');
      } finally {
        await client.close();
      }
    });
  });
}

/** How a test puts lameduck into an app of a node-level middleware framework (Express, Koa). */
export interface MiddlewareAdapter<App> {
  /** A new app of the framework version under test. */
  readonly newApp: () => App;
  /** `app.use(lameduckMiddleware(lameduck, paths))`. */
  readonly useMiddleware: (app: App, lameduck: Lameduck, paths?: ProbePaths) => void;
  /** `GET /` → `ok` at once, `GET /slow?ms=N` → `slow` after N ms. */
  readonly addRoutes: (app: App) => void;
  /** The adapter's `listen(app, lameduck, options)`, which attaches the server. */
  readonly listen: (app: App, lameduck: Lameduck, options: ListenOptions) => Promise<http.Server>;
  /** The framework's own `app.listen(0, '127.0.0.1')`, which does not. */
  readonly listenUnattached: (app: App) => http.Server;
  /** `app.use(lameduckMiddleware)`: the factory itself, not called (the mistake under test). */
  readonly useFactoryUncalled: (app: App) => void;
  /** A last handler that answers every request 404 with the body `app: <url>`. */
  readonly addNotFound: (app: App) => void;
}

/**
 * What the middleware adapters do the same way: `listen()` answering the probes in front of
 * the app (or leaving them to a middleware made first), the preStop path, and a server that was
 * never attached. Call it inside the `describe` of one framework version.
 */
export function testMiddlewareAdapter<App>(adapter: MiddlewareAdapter<App>): void {
  const { newLameduck, clientOf } = adapterTestScope();
  const local = { port: 0, host: '127.0.0.1' } as const;

  it('listen() with { probes: false } leaves the probe paths to the app; with paths, serves those only', async () => {
    const lameduck = newLameduck();
    const app = adapter.newApp();
    adapter.addNotFound(app);
    const off = clientOf(await adapter.listen(app, lameduck, { ...local, probes: false }));
    expect(await off.get('/readyz')).toMatchObject({ status: 404, body: 'app: /readyz' });
    const moved = clientOf(
      await adapter.listen(app, lameduck, { ...local, probes: { readinessPath: '/health/ready' } }),
    );
    expect((await moved.get('/health/ready')).status).toBe(200);
    expect((await moved.get('/livez')).status).toBe(200);
    expect(await moved.get('/readyz')).toMatchObject({ status: 404, body: 'app: /readyz' });
  });

  it('a lameduckMiddleware made before listen() serves the probes at its own paths; listen() answers none in front', async () => {
    const lameduck = newLameduck();
    const app = adapter.newApp();
    adapter.useMiddleware(app, lameduck, { readinessPath: '/ready', livenessPath: '/live' });
    adapter.addNotFound(app);
    const client = clientOf(await adapter.listen(app, lameduck, local));
    expect((await client.get('/ready')).status).toBe(200);
    expect((await client.get('/live')).status).toBe(200);
    expect(await client.get('/readyz')).toMatchObject({ status: 404, body: 'app: /readyz' });
    expect(await client.get('/livez')).toMatchObject({ status: 404, body: 'app: /livez' });
  });

  it('app.use(lameduckMiddleware) without calling it, then listen(): MISUSE at start-up, before any probe could pass', () => {
    const lameduck = newLameduck();
    const app = adapter.newApp();
    adapter.useFactoryUncalled(app);
    adapter.addRoutes(app);
    expect(() => adapter.listen(app, lameduck, local)).toThrow(
      expect.objectContaining({ code: ErrorCodes.MISUSE, message: expect.stringMatching(/delete it/) }),
    );
  });

  it('listen() an app with no middleware or route yet: serves the probes, and the framework answers the rest 404', async () => {
    const lameduck = newLameduck();
    const client = clientOf(await adapter.listen(adapter.newApp(), lameduck, local));
    expect((await client.get('/readyz')).status).toBe(200);
    expect((await client.get('/')).status).toBe(404);
  });

  it('a preStop path without a token is a start-up error (LAMEDUCK_PRESTOP_TOKEN_MISSING)', () => {
    const lameduck = newLameduck({});
    const app = adapter.newApp();
    expect(() => adapter.useMiddleware(app, lameduck, { preStopPath: '/prestop' })).toThrow(
      expect.objectContaining({ code: 'LAMEDUCK_PRESTOP_TOKEN_MISSING' }),
    );
  });

  it('serves a preStop httpGet path that starts the drain and answers once the delay has passed; strangers get 401', async () => {
    const lameduck = newLameduck({ drainDelayMs: 600, preStopToken: 'contract-token' });
    const app = adapter.newApp();
    adapter.useMiddleware(app, lameduck, { preStopPath: '/prestop' });
    adapter.addRoutes(app);
    const client = clientOf(await adapter.listen(app, lameduck, { port: 0, host: '127.0.0.1' }));
    for (const authorization of [undefined, 'Bearer wrong', 'Bearer contract-token-but-longer']) {
      const refused = await client.get(
        '/prestop',
        'GET',
        authorization === undefined ? {} : { authorization },
      );
      expect(refused.status).toBe(401);
      expect(lameduck.state).toBe('serving');
    }
    const startedAt = Date.now();
    const answer = await client.get('/prestop', 'GET', { authorization: 'Bearer contract-token' });
    expect(answer.status).toBe(200);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(580);
    expect(['closing', 'cleanup', 'stopped']).toContain(lameduck.state);
  });

  it('app.use(lameduckMiddleware) without calling it: the MISUSE message is in the log at the first request, once', async () => {
    const warnings: Array<{ code?: string; message: string }> = [];
    const onWarning = (warning: Error & { code?: string }) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const app = adapter.newApp();
      adapter.useFactoryUncalled(app);
      adapter.addRoutes(app);
      const server = adapter.listenUnattached(app);
      await new Promise((resolve) => server.once('listening', resolve));
      const client = clientOf(server);
      expect((await client.get('/')).status).toBe(500);
      expect((await client.get('/')).status).toBe(500);
      await sleep(20);
      const misuse = warnings.filter((w) => w.code === ErrorCodes.MISUSE);
      expect(misuse).toHaveLength(1);
      expect(misuse[0]?.message).toContain('app.use(lameduckMiddleware(lameduck))');
    } finally {
      process.removeListener('warning', onWarning);
    }
  });

  it('middleware used but no server attached: warns with MISUSE and still drains what it tracks', async () => {
    const { logger, warnings } = recordingLogger();
    const exit = vi.fn();
    const lameduck = newLameduck({ logger, exit, drainDelayMs: 200 });
    const app = adapter.newApp();
    adapter.useMiddleware(app, lameduck);
    adapter.addRoutes(app);
    const hook = vi.fn();
    lameduck.onShutdown('database', hook);
    // app.listen() without lameduck.attach(server): the mistake under test.
    const server = adapter.listenUnattached(app);
    await new Promise((resolve) => server.once('listening', resolve));
    const client = clientOf(server);
    lameduck.ready();
    expect((await client.get('/')).status).toBe(200);

    const inFlight = client.get('/slow?ms=800');
    await sleep(250);
    const result = await lameduck.shutdown('test');
    expect(warnings.map(({ obj }) => (obj as { code?: string }).code)).toContain(ErrorCodes.MISUSE);
    expect(await inFlight).toMatchObject({ status: 200, connection: 'close' });
    expect(result).toMatchObject({ exitCode: 0, socketsDestroyed: 0 });
    expect(hook).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledWith(0);
  });
}

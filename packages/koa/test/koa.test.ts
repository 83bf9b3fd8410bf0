import { createRequire } from 'node:module';
import {
  adapterTestScope,
  closeServer,
  expectLameduckError,
  type KeepAliveClient,
  testMiddlewareAdapter,
} from '@lameduck/contract';
import type { Lameduck } from '@lameduck/core';
import Koa from 'koa';
import Koa2 from 'koa2';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, lameduckMiddleware, listen } from '../src/index.js';
import { addRoutes } from './harness.js';

const require = createRequire(import.meta.url);
const { defer, newLameduck, clientOf } = adapterTestScope();

async function serve(app: Koa, lameduck: Lameduck): Promise<KeepAliveClient> {
  const server = await listen(app, lameduck, { port: 0, host: '127.0.0.1' });
  return clientOf(server);
}

describe('the koa test matrix', () => {
  it('runs koa 3 as `koa` and koa 2 as `koa2`', () => {
    expect(require('koa/package.json').version).toMatch(/^3\./);
    expect(require('koa2/package.json').version).toMatch(/^2\./);
  });
});

describe.each([
  ['koa 3', () => new Koa()],
  ['koa 2', () => new Koa2()],
])('%s', (_name, newApp) => {
  it.each([
    ['listen()', false],
    ['lameduckMiddleware', true],
  ])(
    'probes served by %s: answered before user middleware, which never sees them, and never emits an error for them',
    async (_by, withMiddleware) => {
      const lameduck = newLameduck({ drainDelayMs: 2000 });
      const app = newApp();
      app.silent = true;
      const seenByUserMiddleware: string[] = [];
      const errors: string[] = [];
      app.on('error', (_error, ctx) => errors.push(ctx?.path));
      if (withMiddleware) app.use(lameduckMiddleware(lameduck));
      app.use(async (ctx, next) => {
        seenByUserMiddleware.push(ctx.path);
        // An auth layer that rejects everything without a token, and throws on one path.
        if (ctx.path === '/boom') throw new Error('boom');
        if (ctx.get('authorization') === '') ctx.throw(401);
        await next();
      });
      const client = await serve(app, lameduck);

      const ready = await client.get('/readyz');
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.body)).toMatchObject({ status: 'ok' });
      expect((await client.get('/livez')).status).toBe(200);
      expect((await client.get('/')).status).toBe(401);
      expect((await client.get('/boom')).status).toBe(500);
      void lameduck.shutdown('test');
      expect((await client.get('/readyz')).status).toBe(503);
      expect((await client.get('/livez', 'HEAD')).status).toBe(200);
      expect(seenByUserMiddleware).toEqual(['/', '/boom']);
      // Koa emits 'error' for the 401 and the 500; never for a probe.
      expect(errors).toEqual(['/', '/boom']);
    },
  );

  it.each([
    ['listen()', false],
    ['lameduckMiddleware', true],
  ])(
    'probes served by %s: an error response while draining still says Connection: close, so the client moves on cleanly',
    async (_by, withMiddleware) => {
      const lameduck = newLameduck({ drainDelayMs: 2000 });
      const app = newApp();
      app.silent = true;
      if (withMiddleware) app.use(lameduckMiddleware(lameduck));
      app.use(async (ctx, next) => {
        if (ctx.path === '/boom') ctx.throw(500, 'boom', { headers: { 'x-reason': 'boom' } });
        await next();
      });
      addRoutes(app);
      const client = await serve(app, lameduck);
      expect((await client.get('/')).status).toBe(200);
      void lameduck.shutdown('test');
      const failed = await client.get('/boom');
      expect(failed).toMatchObject({ status: 500, connection: 'close' });
      // The next request on the same client opens a new connection instead of failing.
      expect(await client.get('/')).toMatchObject({ status: 200, connection: 'close' });
      expect(client.connections).toBe(2);
    },
  );

  testMiddlewareAdapter({
    newApp,
    useMiddleware: (app, lameduck, paths) => app.use(lameduckMiddleware(lameduck, paths)),
    addRoutes,
    listen,
    listenUnattached: (app) => app.listen(0, '127.0.0.1'),
    useFactoryUncalled: (app) => app.use(lameduckMiddleware as never),
    addNotFound: (app) =>
      app.use((ctx) => {
        ctx.status = 404;
        ctx.body = `app: ${ctx.url}`;
      }),
  });
});

describe('wrong use fails at start-up with a coded LameduckError', () => {
  it('lameduckMiddleware() without the instance, or with something else', () => {
    // @ts-expect-error: the mistake under test
    expectLameduckError(() => lameduckMiddleware(), ErrorCodes.MISUSE);
    expectLameduckError(() => lameduckMiddleware({} as Lameduck), ErrorCodes.MISUSE);
    // app.use(lameduckMiddleware) without calling it: koa would call it with (ctx, next).
    expectLameduckError(
      () => (lameduckMiddleware as unknown as (...args: unknown[]) => unknown)({ path: '/' }, async () => {}),
      ErrorCodes.MISUSE,
    );
  });

  it('a probe path that is not a path', () => {
    const lameduck = newLameduck();
    expectLameduckError(
      () => lameduckMiddleware(lameduck, { livenessPath: 'livez' }),
      ErrorCodes.INVALID_OPTION,
    );
  });

  it('listen() without a usable port, and a port in use rejects with node’s error', async () => {
    const lameduck = newLameduck();
    const app = new Koa();
    // @ts-expect-error: the mistake under test
    expectLameduckError(() => listen(app, lameduck, {}), ErrorCodes.INVALID_OPTION);
    expectLameduckError(() => listen(app, lameduck, { port: 70_000 }), ErrorCodes.INVALID_OPTION);
    expectLameduckError(() => listen(app, {} as Lameduck, { port: 0 }), ErrorCodes.MISUSE);

    const first = await listen(app, lameduck, { port: 0, host: '127.0.0.1' });
    defer(() => closeServer(first));
    const port = (first.address() as { port: number }).port;
    await expect(listen(app, newLameduck(), { port, host: '127.0.0.1' })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
  });
});

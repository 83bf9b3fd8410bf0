import { createRequire } from 'node:module';
import {
  adapterTestScope,
  closeServer,
  expectLameduckError,
  type KeepAliveClient,
  testMiddlewareAdapter,
} from '@lameduck/contract';
import type { Lameduck } from '@lameduck/core';
import express, { type ErrorRequestHandler, type Express } from 'express';
import express4 from 'express4';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, lameduckMiddleware, listen } from '../src/index.js';
import { addRoutes } from './harness.js';

const require = createRequire(import.meta.url);
const { defer, newLameduck, clientOf } = adapterTestScope();

async function serve(app: Express, lameduck: Lameduck): Promise<KeepAliveClient> {
  const server = await listen(app, lameduck, { port: 0, host: '127.0.0.1' });
  return clientOf(server);
}

describe('the express test matrix', () => {
  it('runs express 5 as `express` and express 4 as `express4`', () => {
    expect(require('express/package.json').version).toMatch(/^5\./);
    expect(require('express4/package.json').version).toMatch(/^4\./);
  });
});

describe.each([
  ['express 5', () => express()],
  ['express 4', () => express4()],
])('%s', (_name, newApp) => {
  it.each([
    ['listen()', false],
    ['lameduckMiddleware', true],
  ])(
    'probes served by %s: answered before user middleware, and error handlers never see them',
    async (_by, withMiddleware) => {
      const lameduck = newLameduck({ drainDelayMs: 2000 });
      const app = newApp();
      const seenByUserMiddleware: string[] = [];
      const seenByErrorHandler: string[] = [];
      if (withMiddleware) app.use(lameduckMiddleware(lameduck));
      app.use((req, _res, next) => {
        seenByUserMiddleware.push(req.url);
        next();
      });
      app.use((req, res, next) => {
        // An auth layer that rejects everything without a token, and throws on one path.
        if (req.url === '/boom') throw new Error('boom');
        if (req.headers.authorization === undefined) res.status(401).send('unauthorized');
        else next();
      });
      const onError: ErrorRequestHandler = (error, req, res, _next) => {
        seenByErrorHandler.push(req.url);
        res.status(500).send(String(error));
      };
      app.use(onError);
      const client = await serve(app, lameduck);

      expect((await client.get('/readyz')).status).toBe(200);
      expect((await client.get('/livez')).status).toBe(200);
      expect((await client.get('/')).status).toBe(401);
      expect((await client.get('/boom')).status).toBe(500);
      void lameduck.shutdown('test');
      expect((await client.get('/readyz')).status).toBe(503);
      expect((await client.get('/livez?check=1')).status).toBe(200);
      expect(seenByUserMiddleware).toEqual(['/', '/boom']);
      expect(seenByErrorHandler).toEqual(['/boom']);
    },
  );

  it('mounted under a path, the middleware answers the probes below it and nowhere else', async () => {
    const lameduck = newLameduck({ drainDelayMs: 2000 });
    const app = newApp();
    app.use('/internal', lameduckMiddleware(lameduck));
    app.use((req, res) => res.status(404).send(`app: ${req.url}`));
    const client = await serve(app, lameduck);

    expect((await client.get('/internal/readyz')).status).toBe(200);
    expect((await client.get('/internal/livez?check=1')).status).toBe(200);
    const unmounted = await client.get('/readyz');
    expect(unmounted.status).toBe(404);
    expect(unmounted.body).toBe('app: /readyz');
    expect((await client.get('/internal/other')).status).toBe(404);
    expect((await client.get('/internal/readyz/more')).status).toBe(404);
  });

  it('an error response while draining still says Connection: close, so the client moves on cleanly', async () => {
    const lameduck = newLameduck({ drainDelayMs: 2000 });
    const app = newApp();
    app.use(lameduckMiddleware(lameduck));
    addRoutes(app);
    app.get('/boom', () => {
      throw new Error('boom');
    });
    app.use(((_error, _req, res, _next) => {
      res.status(500).send('failed');
    }) as ErrorRequestHandler);

    const client = await serve(app, lameduck);
    expect((await client.get('/')).status).toBe(200);
    void lameduck.shutdown('test');
    const failed = await client.get('/boom');
    expect(failed).toMatchObject({ status: 500, connection: 'close' });
    // The next request on the same client opens a new connection instead of failing.
    expect(await client.get('/')).toMatchObject({ status: 200, connection: 'close' });
    expect(client.connections).toBe(2);
  });

  testMiddlewareAdapter({
    newApp,
    useMiddleware: (app, lameduck, paths) => app.use(lameduckMiddleware(lameduck, paths)),
    addRoutes,
    listen,
    listenUnattached: (app) => app.listen(0, '127.0.0.1'),
    useFactoryUncalled: (app) => app.use(lameduckMiddleware as never),
    addNotFound: (app) => app.use((req, res) => res.status(404).send(`app: ${req.url}`)),
  });
});

describe('wrong use fails at start-up with a coded LameduckError', () => {
  it('lameduckMiddleware() without the instance, or with something else', () => {
    // @ts-expect-error: the mistake under test
    expectLameduckError(() => lameduckMiddleware(), ErrorCodes.MISUSE);
    expectLameduckError(() => lameduckMiddleware({} as Lameduck), ErrorCodes.MISUSE);
    // app.use(lameduckMiddleware) without calling it: express would call it with (req, res, next).
    expectLameduckError(
      () => (lameduckMiddleware as unknown as (...args: unknown[]) => unknown)({ url: '/' }, {}, () => {}),
      ErrorCodes.MISUSE,
    );
  });

  it('a probe path that is not a path', () => {
    const lameduck = newLameduck();
    expectLameduckError(
      () => lameduckMiddleware(lameduck, { readinessPath: 'readyz' }),
      ErrorCodes.INVALID_OPTION,
    );
  });

  it('listen() without a usable port, and a port in use rejects with node’s error', async () => {
    const lameduck = newLameduck();
    const app = express();
    // @ts-expect-error: the mistake under test
    expectLameduckError(() => listen(app, lameduck, {}), ErrorCodes.INVALID_OPTION);
    expectLameduckError(() => listen(app, lameduck, { port: -1 }), ErrorCodes.INVALID_OPTION);
    expectLameduckError(() => listen(app, {} as Lameduck, { port: 0 }), ErrorCodes.MISUSE);

    const first = await listen(app, lameduck, { port: 0, host: '127.0.0.1' });
    defer(() => closeServer(first));
    const port = (first.address() as { port: number }).port;
    await expect(listen(app, newLameduck(), { port, host: '127.0.0.1' })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
  });
});

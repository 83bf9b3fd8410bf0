import { type ContractHarness, contractApp, echoMessages, serveEvents } from '@lameduck/contract';
import type Koa from 'koa';
import { WebSocketServer } from 'ws';
import { createLameduck, lameduckMiddleware, listen } from '../src/index.js';

export type KoaFactory = () => Koa;

/** `GET /` → ok at once, `GET /slow?ms=N` → slow after N ms, anything else → Koa's 404. */
export function addRoutes(app: Koa): void {
  app.use(async (ctx, next) => {
    if (ctx.method !== 'GET') return next();
    if (ctx.path === '/') {
      ctx.body = 'ok';
      return;
    }
    if (ctx.path === '/slow') {
      await new Promise((resolve) => setTimeout(resolve, Number(ctx.query.ms ?? 100)));
      ctx.body = 'slow';
      return;
    }
    if (ctx.path === '/events') {
      ctx.respond = false; // the stream is written to the node response directly
      serveEvents(ctx.res);
      return;
    }
    return next();
  });
}

/**
 * The contract harness. `'listen'`, the quick start: routes, then listen(), which answers the
 * probes in front of Koa. `'middleware'`: one app.use() line first, then routes, then listen(),
 * which leaves the probes to the middleware.
 */
export function koaHarness(
  name: string,
  koa: KoaFactory,
  probesBy: 'listen' | 'middleware',
): ContractHarness {
  return {
    name: `${name}, probes served by ${probesBy === 'listen' ? 'listen()' : 'lameduckMiddleware'}`,
    async start(options, probes) {
      const lameduck = createLameduck(options);
      const app = koa();
      app.silent = true;
      if (probesBy === 'middleware') app.use(lameduckMiddleware(lameduck, probes));
      addRoutes(app);
      const server = await listen(app, lameduck, {
        port: 0,
        host: '127.0.0.1',
        ...(probesBy === 'listen' && probes !== undefined ? { probes } : {}),
      });
      const wss = new WebSocketServer({ server, path: '/ws' });
      wss.on('connection', echoMessages);
      lameduck.trackWebSockets(wss);
      return contractApp(lameduck, server);
    },
  };
}

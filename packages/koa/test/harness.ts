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

/** The contract harness: one app.use() line first, then routes, then listen(). */
export function koaHarness(name: string, koa: KoaFactory): ContractHarness {
  return {
    name,
    async start(options, probes) {
      const lameduck = createLameduck(options);
      const app = koa();
      app.silent = true;
      app.use(lameduckMiddleware(lameduck, probes));
      addRoutes(app);
      const server = await listen(app, lameduck, { port: 0, host: '127.0.0.1' });
      const wss = new WebSocketServer({ server, path: '/ws' });
      wss.on('connection', echoMessages);
      lameduck.trackWebSockets(wss);
      return contractApp(lameduck, server);
    },
  };
}

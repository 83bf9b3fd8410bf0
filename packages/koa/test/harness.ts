import type * as http from 'node:http';
import type { ContractHarness } from '@lameduck/contract';
import type Koa from 'koa';
import { createLameduck, lameduckMiddleware, listen } from '../src/index.js';

export type KoaFactory = () => Koa;

/** Closes what a test left open. */
export async function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  if (!server.listening) return;
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

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
      const { port } = server.address() as { port: number };
      return {
        url: `http://127.0.0.1:${port}`,
        lameduck,
        async close() {
          lameduck.dispose();
          await closeServer(server);
        },
      };
    },
  };
}

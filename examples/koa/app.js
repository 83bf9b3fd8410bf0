import Koa from 'koa';

/** `/slow` waits at most this long. Only requests up to LAMEDUCK_DRAIN_TIMEOUT_MS are promised to finish in a drain. */
export const SLOW_MAX_MS = 60_000;

/**
 * Builds the app without listening, so tests can import it.
 * `GET /` answers at once; `POST /` echoes the JSON body; `GET /slow?ms=N` answers after N ms;
 * `GET /events` is an SSE stream (one event every 200 ms). The probes (`/readyz`, `/livez`) and
 * `/ws` are on the server: `listen()` answers the probes before Koa sees the request (server.js).
 */
export function buildApp() {
  const app = new Koa();

  // Echoes the JSON body it got.
  app.use(async (ctx, next) => {
    if (ctx.method !== 'POST' || ctx.path !== '/') return next();
    const chunks = [];
    for await (const chunk of ctx.req) chunks.push(chunk);
    try {
      ctx.body = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
    } catch {
      ctx.status = 400;
      ctx.body = { error: 'the body must be JSON' };
    }
  });

  app.use(async (ctx, next) => {
    if (ctx.method !== 'GET') return next();
    if (ctx.path === '/') {
      ctx.body = { hello: 'world', pid: process.pid };
      return;
    }
    if (ctx.path === '/slow') {
      const ms = Number(ctx.query.ms ?? 100);
      if (!Number.isInteger(ms) || ms < 0) {
        ctx.status = 400;
        ctx.body = {
          error: `ms must be a whole number of milliseconds, got ${JSON.stringify(ctx.query.ms)}`,
        };
        return;
      }
      const waitedMs = Math.min(ms, SLOW_MAX_MS);
      await new Promise((resolve) => setTimeout(resolve, waitedMs));
      ctx.body = { waitedMs };
      return;
    }
    if (ctx.path === '/events') {
      // SSE, written to the node response (Koa steps aside): lameduck finds it by its
      // Content-Type and ends it with a retry: hint when the listener closes.
      ctx.respond = false;
      ctx.res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      let n = 0;
      const timer = setInterval(
        () => ctx.res.write(`data: ${JSON.stringify({ n: ++n, pid: process.pid })}\n\n`),
        200,
      );
      ctx.res.once('close', () => clearInterval(timer));
      return;
    }
    return next();
  });

  return app;
}

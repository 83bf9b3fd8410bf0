import type { ServerResponse } from 'node:http';
import { assertLameduck, createProbeRouter, type Lameduck, type ProbePaths } from '@lameduck/core';
import type { Middleware } from 'koa';

/** Where the probes are served; `false` turns one off. */
export type LameduckMiddlewareOptions = ProbePaths;

/**
 * Koa middleware that answers the probes and tracks every request for the drain.
 * Register it first, before any other middleware, so that no auth, body parser, logger or
 * error handler ever sees a probe. Probe answers are written on node's response directly
 * (`ctx.respond = false`), so Koa's own response handling stays out of the way.
 *
 * @example
 * const lameduck = createLameduck();
 * app.use(lameduckMiddleware(lameduck));
 */
export function lameduckMiddleware(lameduck: Lameduck, options: LameduckMiddlewareOptions = {}): Middleware {
  assertLameduck(lameduck, 'lameduckMiddleware(...)');
  const answerProbe = createProbeRouter(lameduck, options);
  return async function lameduckProbesAndTracking(ctx, next) {
    lameduck.trackRequest(ctx.req, ctx.res);
    if (answerProbe(ctx.req, ctx.res)) {
      ctx.respond = false;
      return;
    }
    try {
      await next();
    } catch (error) {
      keepConnectionClose(ctx.res, error);
      throw error;
    }
  };
}

/**
 * Koa answers an error by removing every response header, then setting `error.headers`. While
 * draining, lameduck has set `Connection: close`; carry it over, or the keep-alive client keeps
 * sending on a socket that closes after this response.
 */
function keepConnectionClose(res: ServerResponse, error: unknown): void {
  if (res.headersSent || res.getHeader('connection') !== 'close') return;
  if (typeof error !== 'object' || error === null || Object.isFrozen(error)) return;
  const carrier = error as { headers?: Record<string, unknown> };
  carrier.headers = { ...carrier.headers, connection: 'close' };
}

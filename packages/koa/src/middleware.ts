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
  return function lameduckProbesAndTracking(ctx, next) {
    lameduck.trackRequest(ctx.req, ctx.res);
    if (answerProbe(ctx.req, ctx.res)) {
      ctx.respond = false;
      return Promise.resolve();
    }
    return next();
  };
}

import {
  assertLameduck,
  createProbeRouter,
  type Lameduck,
  markProbesServedByMiddleware,
  type ProbePaths,
} from '@lameduck/core';
import type { Middleware } from 'koa';
import { keepConnectionCloseOnError } from './connection-close.js';

/** Where the probes are served; `false` turns one off. */
export type LameduckMiddlewareOptions = ProbePaths;

/**
 * Koa middleware that answers the probes and tracks every request for the drain, for apps
 * whose server lameduck does not stand in front of (or that mount the probes under a path).
 * With the adapter's `listen()` it is not needed: the probes are answered before Koa, which
 * saves every request a middleware call. Register it first, before any other middleware, so
 * that no auth, body parser, logger or error handler ever sees a probe. Probe answers are
 * written on node's response directly (`ctx.respond = false`), so Koa's own response handling
 * stays out of the way.
 *
 * @example
 * const lameduck = createLameduck();
 * app.use(lameduckMiddleware(lameduck));
 */
export function lameduckMiddleware(lameduck: Lameduck, options: LameduckMiddlewareOptions = {}): Middleware {
  assertLameduck(lameduck, 'lameduckMiddleware(...)');
  const answerProbe = createProbeRouter(lameduck, options);
  markProbesServedByMiddleware(lameduck);
  let lastApp: unknown;
  // Not an async function: it hands Koa the next middleware's promise as it is, and adds no
  // await and no promise of its own to every request.
  return function lameduckProbesAndTracking(ctx, next) {
    if (ctx.app !== lastApp) {
      lastApp = ctx.app;
      keepConnectionCloseOnError(ctx.app.context);
    }
    lameduck.trackRequest(ctx.req, ctx.res);
    if (answerProbe(ctx.req, ctx.res)) {
      ctx.respond = false;
      return Promise.resolve();
    }
    return next();
  };
}

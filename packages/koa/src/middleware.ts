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

type Context = Parameters<Middleware>[0];
type ErrorHandler = (this: Context, error: unknown) => void;

/** The apps' contexts whose `onerror` keeps Connection: close. */
const wrappedContexts = new WeakSet<object>();

/**
 * Koa answers an error in `ctx.onerror`: it removes every response header, then sets
 * `error.headers`. While draining, lameduck has set `Connection: close`; carry it over, or the
 * keep-alive client keeps sending on a socket that closes after this response. Wrapping the
 * app's `onerror` once (not a try/catch around every request) also covers errors Koa meets
 * after the middleware, while it writes the body.
 */
function keepConnectionCloseOnError(context: object): void {
  if (wrappedContexts.has(context)) return;
  wrappedContexts.add(context);
  const holder = context as { onerror?: ErrorHandler };
  const onerror = holder.onerror;
  if (typeof onerror !== 'function') return;
  holder.onerror = function onerrorKeepingConnectionClose(this: Context, error: unknown): void {
    if (this?.res !== undefined) keepConnectionClose(this.res, error);
    onerror.call(this, error);
  };
}

function keepConnectionClose(res: ServerResponse, error: unknown): void {
  if (res.headersSent || res.getHeader('connection') !== 'close') return;
  if (typeof error !== 'object' || error === null || Object.isFrozen(error)) return;
  const carrier = error as { headers?: Record<string, unknown> };
  carrier.headers = { ...carrier.headers, connection: 'close' };
}

import type { ServerResponse } from 'node:http';
import type { Middleware } from 'koa';

type Context = Parameters<Middleware>[0];
type ErrorHandler = (this: Context, error: unknown) => void;

/** The apps' contexts whose `onerror` keeps Connection: close. */
const wrappedContexts = new WeakSet<object>();

/**
 * Koa answers an error in `ctx.onerror`: it removes every response header, then sets
 * `error.headers`. While draining, lameduck has set `Connection: close`; carry it over, or the
 * keep-alive client keeps sending on a socket that closes after this response. Wrapping the
 * app's `onerror` once (not a try/catch around every request) also covers errors Koa meets
 * after the middleware, while it writes the body. `listen()` wraps it at start-up; the
 * middleware, at an app's first request.
 */
export function keepConnectionCloseOnError(context: object): void {
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

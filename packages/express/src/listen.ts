import type * as http from 'node:http';
import {
  ErrorCodes,
  type Lameduck,
  LameduckError,
  type ListenOptions,
  listen as listenAttached,
} from '@lameduck/core';
import type { Application } from 'express';
import { lameduckMiddleware, probesServedByMiddleware } from './middleware.js';

/**
 * `app.listen()` plus `lameduck.attach(server, { probes })`: resolves with the listening server,
 * whose listener lameduck closes at the end of the drain delay. The probes (`/readyz`, `/livez`)
 * are answered in front of Express, so the app needs no middleware of lameduck's; `probes`
 * takes other paths, or `false` (say, when the app serves `/readyz` itself). Where a
 * `lameduckMiddleware` was made for the instance before `listen()`, it serves the probes and
 * `probes` defaults to `false`.
 *
 * @example
 * const server = await listen(app, lameduck, { port: 3000 });
 */
export function listen(app: Application, lameduck: Lameduck, options: ListenOptions): Promise<http.Server> {
  rejectUncalledMiddleware(app);
  const probes =
    (options as Partial<ListenOptions> | undefined)?.probes ?? !probesServedByMiddleware(lameduck);
  return listenAttached(lameduck, app, { ...options, probes });
}

type Layer = { handle?: unknown };
type Router = { stack?: unknown } | undefined;

/** The app's middleware layers: Express 4 keeps its router at `app._router`, Express 5 at `app.router`. */
function routerStack(app: Application): Layer[] {
  const holder = app as unknown as { router?: Router; _router?: Router };
  let router = holder._router;
  try {
    // Express 4's `app.router` is a getter that throws (deprecated since 4.0).
    router ??= holder.router;
  } catch {
    return [];
  }
  return Array.isArray(router?.stack) ? (router.stack as Layer[]) : [];
}

/**
 * `app.use(lameduckMiddleware)`, the factory itself: every request would fail with a 500 while
 * the probes, answered in front of Express, still passed. Caught here, at start-up.
 */
function rejectUncalledMiddleware(app: Application): void {
  const stack = routerStack(app);
  if (!stack.some((layer) => layer.handle === lameduckMiddleware)) return;
  throw new LameduckError(
    ErrorCodes.MISUSE,
    'lameduck: app.use(lameduckMiddleware) registers the factory without calling it, so every request would fail with a 500. With listen() the line is not needed (listen() answers the probes); delete it, or call it with the instance: app.use(lameduckMiddleware(lameduck)).',
  );
}

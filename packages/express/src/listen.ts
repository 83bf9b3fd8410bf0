import type * as http from 'node:http';
import {
  type Lameduck,
  type ListenOptions,
  listen as listenAttached,
  probesForListen,
  rejectUncalledMiddleware,
} from '@lameduck/core';
import type { Application } from 'express';
import { lameduckMiddleware } from './middleware.js';

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
  rejectUncalledMiddleware(
    routerStack(app).map((layer) => layer.handle),
    lameduckMiddleware,
  );
  return listenAttached(lameduck, app, { ...options, probes: probesForListen(lameduck, options) });
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

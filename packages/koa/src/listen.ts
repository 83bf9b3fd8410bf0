import type * as http from 'node:http';
import {
  type Lameduck,
  type ListenOptions,
  listen as listenAttached,
  probesForListen,
  rejectUncalledMiddleware,
} from '@lameduck/core';
import type Koa from 'koa';
import { keepConnectionCloseOnError } from './connection-close.js';
import { lameduckMiddleware } from './middleware.js';

/**
 * `app.listen()` plus `lameduck.attach(server, { probes })`: resolves with the listening server,
 * whose listener lameduck closes at the end of the drain delay. The probes (`/readyz`, `/livez`)
 * are answered in front of Koa, so the app needs no middleware of lameduck's; `probes` takes
 * other paths, or `false` (say, when the app serves `/readyz` itself). Where a
 * `lameduckMiddleware` was made for the instance before `listen()`, it serves the probes and
 * `probes` defaults to `false`.
 *
 * @example
 * const server = await listen(app, lameduck, { port: 3000 });
 */
export function listen(app: Koa, lameduck: Lameduck, options: ListenOptions): Promise<http.Server> {
  rejectUncalledMiddleware(app.middleware, lameduckMiddleware);
  keepConnectionCloseOnError(app.context);
  return listenAttached(lameduck, app.callback(), { ...options, probes: probesForListen(lameduck, options) });
}

import type * as http from 'node:http';
import { type Lameduck, type ListenOptions, listen as listenAttached } from '@lameduck/core';
import type { Application } from 'express';
import { probesServedByMiddleware } from './middleware.js';

/**
 * `app.listen()` plus `lameduck.attach(server, { probes })`: resolves with the listening server,
 * whose listener lameduck closes at the end of the drain delay. The probes (`/readyz`, `/livez`)
 * are answered in front of Express, so the app needs no middleware of lameduck's; `probes`
 * takes other paths, or `false`. Where a `lameduckMiddleware` was made for the instance, it
 * serves the probes and `probes` defaults to `false`.
 *
 * @example
 * const server = await listen(app, lameduck, { port: 3000 });
 */
export function listen(app: Application, lameduck: Lameduck, options: ListenOptions): Promise<http.Server> {
  const probes =
    (options as Partial<ListenOptions> | undefined)?.probes ?? !probesServedByMiddleware(lameduck);
  return listenAttached(lameduck, app, { ...options, probes });
}

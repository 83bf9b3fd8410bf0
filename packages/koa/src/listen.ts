import type * as http from 'node:http';
import { type Lameduck, type ListenOptions, listen as listenAttached } from '@lameduck/core';
import type Koa from 'koa';

/**
 * `app.listen()` plus `lameduck.attach(server)`: resolves with the listening server, whose
 * listener lameduck closes at the end of the drain delay.
 *
 * @example
 * const server = await listen(app, lameduck, { port: 3000 });
 */
export function listen(app: Koa, lameduck: Lameduck, options: ListenOptions): Promise<http.Server> {
  return listenAttached(lameduck, app.callback(), options);
}

import * as http from 'node:http';
import { describeValue, ErrorCodes, LameduckError } from './errors.js';
import type { Lameduck } from './types.js';

/**
 * Throws a MISUSE error unless `value` is an instance from `createLameduck()`. Adapters call it
 * where the user hands them the instance, so a forgotten or wrong argument fails at start-up.
 */
export function assertLameduck(value: unknown, caller: string): asserts value is Lameduck {
  const candidate = value as Partial<Record<keyof Lameduck, unknown>> | null | undefined;
  if (
    typeof candidate?.attach === 'function' &&
    typeof candidate.trackRequest === 'function' &&
    typeof candidate.shutdown === 'function' &&
    typeof candidate.readinessHandler === 'function'
  ) {
    return;
  }
  throw new LameduckError(
    ErrorCodes.MISUSE,
    `lameduck: ${caller} expects the instance createLameduck() returns as its first argument, instead got ${describeValue(value)}. Create it once: const lameduck = createLameduck(); then pass it: ${caller.replace('(...)', '(lameduck)')}.`,
  );
}

export interface ListenOptions {
  /** TCP port; 0 picks a free one (read it from `server.address()`). */
  readonly port: number;
  /** Interface to bind. @default node's default (all interfaces) */
  readonly host?: string;
}

/**
 * Creates a node http server for `handler`, attaches it to `lameduck` (before it listens, so
 * readiness turns 200 once it does) and listens. Resolves with the listening server; rejects
 * with node's error (EADDRINUSE…) when it cannot listen. Adapters wrap it as `listen(app, …)`.
 */
export function listen(
  lameduck: Lameduck,
  handler: http.RequestListener,
  options: ListenOptions,
): Promise<http.Server> {
  assertLameduck(lameduck, 'listen(...)');
  const port = (options as Partial<ListenOptions> | undefined)?.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new LameduckError(
      ErrorCodes.INVALID_OPTION,
      `lameduck: listen() expects { port } with a whole number from 0 to 65535 (for example { port: Number(process.env.PORT ?? 3000) }), instead got ${describeValue(port)}.`,
    );
  }
  const server = http.createServer(handler);
  lameduck.attach(server);
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, options.host, () => {
      server.removeListener('error', onError);
      resolve(server);
    });
  });
}

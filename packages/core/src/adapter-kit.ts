import * as http from 'node:http';
import { describeValue, ErrorCodes, LameduckError } from './errors.js';
import type { ProbePaths } from './probes.js';
import type { AttachOptions, DrainableServer, Lameduck } from './types.js';

/**
 * Throws a MISUSE error unless `value` is an instance from `createLameduck()`. Adapters call it
 * where the user hands them the instance, so a forgotten or wrong argument fails at start-up.
 */
export function assertLameduck(value: unknown, caller: string): asserts value is Lameduck {
  if (looksLikeARequest(value)) reportUncalledFactory(caller, value as RequestLike);
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

type RequestLike = http.IncomingMessage | { req: http.IncomingMessage };

/** A node request (Express passes `req`) or a Koa context (`ctx.req`). */
function looksLikeARequest(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return (
    value instanceof http.IncomingMessage || (value as { req?: unknown }).req instanceof http.IncomingMessage
  );
}

/** The servers whose uncalled factory was already reported: once each, not once per request. */
const reportedServers = new WeakSet<object>();

/**
 * `app.use(lameduckMiddleware)`: the factory itself was registered, so the framework calls it
 * with a request. Express and Koa take any function at registration, so this is the first
 * moment it shows: the request fails with a 500 (the MISUSE error), and the log says why at
 * once, even where the framework logs no errors (Express with NODE_ENV=production).
 */
function reportUncalledFactory(caller: string, request: RequestLike): never {
  const name = caller.replace('(...)', '');
  const message = `lameduck: ${name} was registered without being called: app.use(${name}) hands it each request. Call it with the instance: app.use(${name}(lameduck)). Every request fails with a 500 until then.`;
  const req = request instanceof http.IncomingMessage ? request : request.req;
  const server = (req.socket as { server?: object } | null)?.server ?? reportedServers;
  if (!reportedServers.has(server)) {
    reportedServers.add(server);
    process.emitWarning(message, { code: ErrorCodes.MISUSE });
  }
  throw new LameduckError(ErrorCodes.MISUSE, message);
}

/** The instances whose probes a middleware of an adapter serves: its `listen()` leaves them to it. */
const servedByMiddleware = new WeakSet<Lameduck>();

/**
 * An adapter's probe middleware calls it when it is made: from then on the adapter's `listen()`
 * does not answer the probes in front of the app (`probes` defaults to `false`), so an app set up
 * the earlier way, with the middleware first, keeps its paths and its mount point.
 */
export function markProbesServedByMiddleware(lameduck: Lameduck): void {
  servedByMiddleware.add(lameduck);
}

/**
 * The `probes` an adapter's `listen()` attaches with: the caller's, else in front of the app
 * (`true`) unless a probe middleware was made for the instance first.
 */
export function probesForListen(lameduck: Lameduck, options: ListenOptions): AttachOptions['probes'] {
  return (options as Partial<ListenOptions> | undefined)?.probes ?? !servedByMiddleware.has(lameduck);
}

/**
 * `app.use(lameduckMiddleware)`, the factory itself, among the app's registered `handlers`: every
 * request would fail with a 500 while the probes, answered in front of the app by the adapter's
 * `listen()`, still passed. Adapters' `listen()` calls it, so this fails at start-up.
 */
export function rejectUncalledMiddleware(handlers: readonly unknown[], factory: unknown): void {
  if (!handlers.includes(factory)) return;
  throw new LameduckError(
    ErrorCodes.MISUSE,
    'lameduck: app.use(lameduckMiddleware) registers the factory without calling it, so every request would fail with a 500. With listen() the line is not needed (listen() answers the probes); delete it, or call it with the instance: app.use(lameduckMiddleware(lameduck)).',
  );
}

/**
 * Attaches `server` with the probes answered in front of its request handler (`attach(server,
 * { probes })`) where it has the shape for that: exactly one request listener, and not attached
 * before without probes. Otherwise it attaches the server without them and returns `false`: the
 * adapter then serves the probes inside the app (routes, a request hook). Any error other than
 * that shape's `LAMEDUCK_MISUSE` (a preStop path without a token, a bad path) is thrown.
 */
export function attachProbesInFront(lameduck: Lameduck, server: DrainableServer, paths: ProbePaths): boolean {
  try {
    lameduck.attach(server, { probes: paths });
    return true;
  } catch (error) {
    if (!(error instanceof LameduckError && error.code === ErrorCodes.MISUSE)) throw error;
  }
  lameduck.attach(server);
  return false;
}

export interface ListenOptions {
  /** TCP port; 0 picks a free one (read it from `server.address()`). */
  readonly port: number;
  /** Interface to bind. @default node's default (all interfaces) */
  readonly host?: string;
  /**
   * Answer the probes in front of the handler (`attach(server, { probes })`): `true` for the
   * default paths, or the paths. The Express and Koa adapters' `listen()` turn it on by default.
   * @default false
   */
  readonly probes?: AttachOptions['probes'];
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
  lameduck.attach(server, options.probes === undefined ? {} : { probes: options.probes });
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, options.host, () => {
      server.removeListener('error', onError);
      resolve(server);
    });
  });
}

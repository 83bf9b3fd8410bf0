import {
  assertLameduck,
  createProbeRouter,
  type Lameduck,
  markProbesServedByMiddleware,
  type ProbePaths,
} from '@lameduck/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** Where the probes are served; `false` turns one off. */
export type LameduckMiddlewareOptions = ProbePaths;

/**
 * Express middleware that answers the probes and tracks every request for the drain, for apps
 * whose server lameduck does not stand in front of (or that mount the probes under a path).
 * With the adapter's `listen()` it is not needed: the probes are answered before Express, which
 * saves every request the cost of one Express layer. Register it first, before any other
 * middleware, so that no auth, body parser, logger or error handler ever sees a probe.
 *
 * @example
 * const lameduck = createLameduck();
 * app.use(lameduckMiddleware(lameduck));
 */
export function lameduckMiddleware(
  lameduck: Lameduck,
  options: LameduckMiddlewareOptions = {},
): RequestHandler {
  assertLameduck(lameduck, 'lameduckMiddleware(...)');
  const answerProbe = createProbeRouter(lameduck, options);
  markProbesServedByMiddleware(lameduck);
  return function lameduckProbesAndTracking(req: Request, res: Response, next: NextFunction): void {
    lameduck.trackRequest(req, res);
    if (!answerProbe(req, res)) next();
  };
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestInAppOf } from './lameduck.js';
import { matchProbe, mayBeProbe, type ProbePaths, resolveProbePaths } from './probes.js';
import type { Lameduck } from './types.js';

/**
 * A node-level router for the probe routes, shared by every adapter that sits on node's
 * `req`/`res` (Express, Koa, NestJS on Express). Returns `true` when it answered the request.
 */
export type ProbeRouter = (req: IncomingMessage, res: ServerResponse) => boolean;

export function createProbeRouter(lameduck: Lameduck, paths?: ProbePaths): ProbeRouter {
  const resolved = resolveProbePaths(paths);
  lameduck.registerProbePaths(resolved);
  const inApp = requestInAppOf(lameduck);
  return (req, res) => {
    // Inside the app listener of an attached server: its URL as node parsed it. Mounting a
    // middleware under a path (Express, koa-mount) only takes a prefix off the URL, so a URL
    // that ends in none of the probe paths is no probe wherever the router is mounted.
    if (inApp !== undefined && req === inApp.current && !mayBeProbe(inApp.url, resolved)) return false;
    switch (matchProbe(req.method, req.url, resolved)) {
      case 'readiness':
        lameduck.readinessHandler(req, res);
        return true;
      case 'liveness':
        lameduck.livenessHandler(req, res);
        return true;
      case 'preStop':
        lameduck.preStopHandler(req, res);
        return true;
      default:
        return false;
    }
  };
}

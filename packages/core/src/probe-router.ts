import type { IncomingMessage, ServerResponse } from 'node:http';
import { matchProbe, type ProbePaths, resolveProbePaths } from './probes.js';
import type { Lameduck } from './types.js';

/**
 * A node-level router for the probe routes, shared by every adapter that sits on node's
 * `req`/`res` (Express, Koa, NestJS on Express). Returns `true` when it answered the request.
 */
export type ProbeRouter = (req: IncomingMessage, res: ServerResponse) => boolean;

export function createProbeRouter(lameduck: Lameduck, paths?: ProbePaths): ProbeRouter {
  const resolved = resolveProbePaths(paths);
  lameduck.registerProbePaths(resolved);
  return (req, res) => {
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

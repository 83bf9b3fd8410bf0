import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createProbeRouter,
  ErrorCodes,
  type Lameduck,
  LameduckError,
  matchProbe,
  type ProbePaths,
  resolveProbePaths,
} from '@lameduck/core';
import type { AbstractHttpAdapter } from '@nestjs/core';

type Next = (error?: unknown) => void;

/** The slice of an Express app this file uses. */
interface ExpressLike {
  use(handler: (req: IncomingMessage, res: ServerResponse, next: Next) => void): unknown;
}

/** The slice of a Fastify instance this file uses. */
interface FastifyLike {
  addHook(
    name: 'onRequest',
    hook: (
      request: { raw: IncomingMessage },
      reply: { raw: ServerResponse; hijack(): unknown },
      done: Next,
    ) => void,
  ): unknown;
}

/**
 * Serves the probes at the HTTP-adapter level, ahead of Nest's router: no global prefix,
 * versioning, guard, interceptor, pipe or body parser ever sees a probe request, so a probe
 * only fails for the reason it exists. Runs before the app's routes are registered.
 */
export function registerProbes(adapter: AbstractHttpAdapter, lameduck: Lameduck, paths: ProbePaths): void {
  const resolved = resolveProbePaths(paths);
  const router = createProbeRouter(lameduck, resolved);
  const platform = adapter.getType();
  if (platform === 'express') {
    const app = adapter.getInstance<ExpressLike>();
    app.use((req, res, next) => {
      if (!router(req, res)) next();
    });
    return;
  }
  if (platform === 'fastify') {
    const instance = adapter.getInstance<FastifyLike>();
    instance.addHook('onRequest', (request, reply, done) => {
      if (matchProbe(request.raw.method, request.raw.url, resolved) === undefined) {
        done();
        return;
      }
      // The core writes the answer on node's response; Fastify must not send one too.
      reply.hijack();
      router(request.raw, reply.raw);
    });
    return;
  }
  throw new LameduckError(
    ErrorCodes.MISUSE,
    `@lameduck/nestjs: expects the HTTP adapter of @nestjs/platform-express or @nestjs/platform-fastify, instead got platform '${String(platform)}'. Use one of those, or use @lameduck/core directly.`,
  );
}

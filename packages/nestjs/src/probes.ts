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

/** What Nest's adapters call at the start of every request: `(req, res, done)`. */
type RequestHook = (
  this: unknown,
  request: unknown,
  response: unknown,
  done: (error?: unknown) => void,
) => unknown;

interface HookHost {
  onRequestHook?: RequestHook;
  setOnRequestHook(hook: RequestHook): void;
}

interface FastifyRequestLike {
  readonly raw: IncomingMessage;
}

interface FastifyReplyLike {
  readonly raw: ServerResponse;
  hijack(): unknown;
}

const ours = new WeakSet<RequestHook>();

/**
 * Serves the probes ahead of everything Nest puts on a request: no Nest middleware, global
 * prefix, versioning, guard, interceptor, pipe or body parser ever sees a probe request, so a
 * probe only fails for the reason it exists.
 *
 * It uses the adapters' request hook (`setOnRequestHook`), which both run first: Express from
 * the adapter's first middleware, Fastify from its first `onRequest` hook, before
 * `@fastify/middie` (a Fastify `onRequest` hook added now would run after middie, so Nest
 * middleware bound to every route would see the probes). A hook set before is kept and runs
 * after the probes. Returns a function that puts the probes back in front if something
 * replaced the hook since.
 */
export function registerProbes(
  adapter: AbstractHttpAdapter,
  lameduck: Lameduck,
  paths: ProbePaths,
): () => void {
  const resolved = resolveProbePaths(paths);
  const router = createProbeRouter(lameduck, resolved);
  const answer = probeAnswerer(adapter, router, resolved);
  const host = adapter as unknown as HookHost;
  const install = () => {
    const previous = host.onRequestHook;
    if (previous !== undefined && ours.has(previous)) return;
    const hook: RequestHook = function (this: unknown, request, response, done) {
      if (answer(request, response)) return undefined;
      if (previous !== undefined) return previous.call(this, request, response, done);
      done();
      return undefined;
    };
    ours.add(hook);
    host.setOnRequestHook(hook);
  };
  install();
  return install;
}

/** Answers a probe request on the platform's request objects; false when it is not a probe. */
function probeAnswerer(
  adapter: AbstractHttpAdapter,
  router: ReturnType<typeof createProbeRouter>,
  resolved: ReturnType<typeof resolveProbePaths>,
): (request: unknown, response: unknown) => boolean {
  const platform: unknown = adapter.getType();
  if (typeof (adapter as Partial<HookHost>).setOnRequestHook === 'function') {
    if (platform === 'express') {
      return (req, res) => router(req as IncomingMessage, res as ServerResponse);
    }
    if (platform === 'fastify') {
      return (request, reply) => {
        const { raw } = request as FastifyRequestLike;
        if (matchProbe(raw.method, raw.url, resolved) === undefined) return false;
        // The core writes the answer on node's response; Fastify must not send one too.
        (reply as FastifyReplyLike).hijack();
        return router(raw, (reply as FastifyReplyLike).raw);
      };
    }
  }
  throw new LameduckError(
    ErrorCodes.MISUSE,
    `@lameduck/nestjs: expects the HTTP adapter of @nestjs/platform-express or @nestjs/platform-fastify (12.x), instead got platform '${String(platform)}'. Use one of those, or use @lameduck/core directly.`,
  );
}

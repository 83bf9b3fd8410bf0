import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  attachProbesInFront,
  createProbeRouter,
  type DrainableServer,
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

/** How the probes are wired into one app. */
export interface ProbeWiring {
  /** Attaches the app's HTTP server to lameduck, the probes in front of the platform where they go there. */
  attach(server: DrainableServer): void;
  /** Puts the probes back in front where something replaced the adapter's request hook since. */
  keepFirst(): void;
}

/**
 * Serves the probes ahead of everything Nest puts on a request: no Nest middleware, global
 * prefix, versioning, guard, interceptor, pipe or body parser ever sees a probe request, so a
 * probe only fails for the reason it exists.
 *
 * By default, on both platforms, the probes are answered in the server's request listener, in
 * front of Express or Fastify (`attach(server, { probes })`): Nest's requests then pay for no
 * request hook (on Express a closure and a call through Nest's own middleware; on Fastify a
 * call through Nest's lifecycle-hook runner in its `onRequest` hook).
 *
 * With `probesInApp`, and on a server lameduck cannot stand in front of (not exactly one
 * request listener), they are answered in the adapter's request hook (`setOnRequestHook`). On
 * Fastify that runs from Fastify's first `onRequest` hook, before `@fastify/middie` (one added
 * now would run after middie, so Nest middleware bound to every route would see the probes);
 * there they also answer `app.inject()`, which never goes through the server. A hook set before
 * is kept and runs after the probes.
 */
export function wireProbes(
  adapter: AbstractHttpAdapter,
  lameduck: Lameduck,
  paths: ProbePaths,
  probesInApp: boolean,
): ProbeWiring {
  const resolved = resolveProbePaths(paths);
  // Built here whatever happens later: it is also where an unsupported platform is refused.
  const answer = probeAnswerer(adapter, createProbeRouter(lameduck, resolved), resolved);
  if (probesInApp) {
    const keepFirst = installHook(adapter, answer);
    return { attach: (server) => void lameduck.attach(server), keepFirst };
  }
  let keepFirst = (): void => undefined;
  return {
    attach(server) {
      if (attachProbesInFront(lameduck, server, resolved)) return;
      keepFirst = installHook(adapter, answer);
    },
    keepFirst: () => keepFirst(),
  };
}

/** Sets the adapter's request hook; returns a function that sets it again if something replaced it. */
function installHook(
  adapter: AbstractHttpAdapter,
  answer: (request: unknown, response: unknown) => boolean,
): () => void {
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

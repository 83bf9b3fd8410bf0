import type { Lameduck, ProbeKind, ProbeResponse, ResolvedProbePaths } from '@lameduck/core';
import type { FastifyInstance, FastifyReply, LogLevel } from 'fastify';

/**
 * The body goes out as a Buffer: Fastify sends Buffers as they are, so a reply serializer or
 * a response schema the app set globally never touches a probe answer.
 */
function sendAnswer(reply: FastifyReply, answer: ProbeResponse): FastifyReply {
  return reply.code(answer.statusCode).headers(answer.headers).send(Buffer.from(answer.body));
}

/**
 * Registers the probes as ordinary Fastify routes (GET, and HEAD through `exposeHeadRoute`),
 * logged at `logLevel` and tagged with `config.lameduckProbe` so that the app's hooks can skip them.
 */
export function registerProbeRoutes(
  fastify: FastifyInstance,
  lameduck: Lameduck,
  paths: ResolvedProbePaths,
  logLevel: LogLevel,
): void {
  // Fails at start-up for a preStop path without a token; probes do not count as traffic.
  lameduck.registerProbePaths(paths);
  const route = (kind: ProbeKind, url: string | false, handler: (reply: FastifyReply) => unknown) => {
    if (url === false) return;
    fastify.route({
      method: 'GET',
      url,
      logLevel,
      exposeHeadRoute: true,
      config: { lameduckProbe: kind },
      handler: (_request, reply) => handler(reply),
    });
  };
  route('readiness', paths.readinessPath, async (reply) => sendAnswer(reply, await lameduck.readiness()));
  route('liveness', paths.livenessPath, (reply) => sendAnswer(reply, lameduck.liveness()));
  // preStop answers only once the drain delay has passed: the core writes that response itself.
  route('preStop', paths.preStopPath, (reply) => {
    reply.hijack();
    lameduck.preStopHandler(reply.request.raw, reply.raw);
  });
}

import websocket from '@fastify/websocket';
import { type ContractHarness, echoMessages, serveEvents } from '@lameduck/contract';
import type { LameduckOptions } from '@lameduck/core';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { type LameduckFastifyOptions, lameduck } from '../src/index.js';

/** The contract's routes: `/` answers at once, `/slow?ms=N` after N ms. */
export function addRoutes(app: FastifyInstance): void {
  app.get('/', async () => 'ok');
  app.get<{ Querystring: { ms?: string } }>('/slow', async (request) => {
    await new Promise((resolve) => setTimeout(resolve, Number(request.query.ms ?? 100)));
    return 'slow';
  });
}

/** `/ws` on `@fastify/websocket` (found by the plugin, no registration) and `/events` (SSE). */
async function addLongLivedRoutes(app: FastifyInstance): Promise<void> {
  await app.register(websocket);
  app.get('/ws', { websocket: true }, (socket) => echoMessages(socket));
  app.get('/events', (_request, reply) => {
    reply.hijack();
    serveEvents(reply.raw);
  });
}

/** Builds an app with the plugin and the contract's routes; `setup` adds hooks before listen. */
export async function startApp(
  options: LameduckFastifyOptions,
  fastifyOptions: FastifyServerOptions = {},
  setup: (app: FastifyInstance) => void = () => {},
  longLived = false,
): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify(fastifyOptions);
  await app.register(lameduck, options);
  addRoutes(app);
  if (longLived) await addLongLivedRoutes(app);
  setup(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address() as { port: number };
  return { app, url: `http://127.0.0.1:${address.port}` };
}

/** Tears down what a test left running: no drain for an app that was never shut down. */
export async function closeApp(app: FastifyInstance): Promise<void> {
  const { state } = app.lameduck;
  if (state === 'starting' || state === 'serving') {
    app.lameduck.dispose();
    app.server.closeAllConnections();
  }
  await app.close().catch(() => undefined);
}

/**
 * The contract's harness: the probes in front of Fastify (the quick start), or as Fastify
 * routes (`probesInApp: true`).
 */
export function fastifyHarness(probesAt: 'in front' | 'routes'): ContractHarness {
  return {
    name: `fastify 5, probes ${probesAt === 'routes' ? 'as routes (probesInApp)' : 'in front'}`,
    async start(options: LameduckOptions, probes) {
      const pluginOptions = {
        ...options,
        ...probes,
        ...(probesAt === 'routes' ? { probesInApp: true } : {}),
      };
      const { app, url } = await startApp(pluginOptions, {}, () => {}, true);
      return { url, lameduck: app.lameduck, close: () => closeApp(app) };
    },
  };
}

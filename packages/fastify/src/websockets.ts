import type { Lameduck } from '@lameduck/core';
import type { FastifyInstance } from 'fastify';

/**
 * Finds the WebSocket servers other plugins decorated the app with, once every plugin has
 * loaded: `@fastify/websocket`'s `websocketServer` (a `ws` WebSocketServer) and the socket.io
 * `Server` of `fastify-socket.io` (`io`). The core closes their connections when the listener
 * closes, before Fastify's own close (`@fastify/websocket` closes its clients in `preClose`).
 */
export function trackDecoratedWebSockets(fastify: FastifyInstance, lameduck: Lameduck): void {
  fastify.addHook('onReady', async () => {
    const decorated = fastify as unknown as Record<string, unknown>;
    for (const name of ['websocketServer', 'io']) {
      if (fastify.hasDecorator(name) && decorated[name] != null) lameduck.trackWebSockets(decorated[name]);
    }
  });
}

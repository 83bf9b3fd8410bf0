import websocket from '@fastify/websocket';
import { lameduck } from '@lameduck/fastify';
import Fastify from 'fastify';

/** The longest `/slow` request this service promises to finish during a drain (LAMEDUCK_DRAIN_TIMEOUT_MS). */
export const SLOW_MAX_MS = 10_000;

/**
 * Builds the app without listening, so tests can import it.
 * `GET /` answers at once; `POST /` echoes the JSON body; `GET /slow?ms=N` answers after N ms;
 * `/ws` is an echo WebSocket; `GET /events` is an SSE stream (one event every 200 ms); `/readyz`
 * and `/livez` are the probes.
 *
 * @param {{ pool: { end(): Promise<void> }, lameduckOptions?: import('@lameduck/fastify').LameduckFastifyOptions, logger?: boolean | object }} options
 */
export async function buildApp({
  pool,
  lameduckOptions = {},
  logger = { level: process.env.LOG_LEVEL || 'info', stream: process.stderr },
}) {
  const app = Fastify({
    // Logs (lameduck's included) go to stderr; stdout carries only the listening line.
    logger,
    // Idle keep-alive sockets outlive the 60 s idle timeout of proxies and load balancers
    // (Fastify's default, written out), and headersTimeout stays above it.
    keepAliveTimeout: 72_000,
    http: { headersTimeout: 73_000 },
  });
  // Settings come from LAMEDUCK_* environment variables unless lameduckOptions says otherwise.
  await app.register(lameduck, lameduckOptions);

  app.get('/', async () => ({ hello: 'world', pid: process.pid }));
  // Echoes the JSON body it got.
  app.post('/', async (request) => request.body);

  app.get(
    '/slow',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { ms: { type: 'integer', minimum: 0, maximum: SLOW_MAX_MS, default: 1000 } },
        },
      },
    },
    async (request) => {
      const { ms } = /** @type {{ ms: number }} */ (request.query);
      await new Promise((resolve) => setTimeout(resolve, ms));
      return { waitedMs: ms };
    },
  );

  // An echo WebSocket at /ws. @lameduck/fastify finds @fastify/websocket by itself and closes
  // each client (1001) when the listener closes, before the plugin's own preClose.
  await app.register(websocket);
  app.get('/ws', { websocket: true }, (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });

  // SSE: lameduck finds it by its Content-Type and ends it with a retry: hint. One event per write().
  app.get('/events', (_request, reply) => {
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let n = 0;
    const timer = setInterval(
      () => reply.raw.write(`data: ${JSON.stringify({ n: ++n, pid: process.pid })}\n\n`),
      200,
    );
    reply.raw.once('close', () => clearInterval(timer));
  });

  // The cleanup: Fastify runs onClose hooks once lameduck has drained HTTP (no request in flight).
  app.addHook('onClose', () => pool.end());

  return app;
}

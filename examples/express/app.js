import express from 'express';

/** `/slow` waits at most this long. Only requests up to LAMEDUCK_DRAIN_TIMEOUT_MS are promised to finish in a drain. */
export const SLOW_MAX_MS = 60_000;

/**
 * Builds the app without listening, so tests can import it.
 * `GET /` answers at once; `POST /` echoes the JSON body; `GET /slow?ms=N` answers after N ms;
 * `GET /events` is an SSE stream (one event every 200 ms). The probes (`/readyz`, `/livez`) and
 * `/ws` are on the server: `listen()` answers the probes before Express sees the request (server.js).
 */
export function buildApp() {
  const app = express();

  app.get('/', (_req, res) => {
    res.json({ hello: 'world', pid: process.pid });
  });

  // Echoes the JSON body it got.
  app.post('/', express.json(), (req, res) => {
    res.json(req.body);
  });

  app.get('/slow', (req, res) => {
    const ms = Number(req.query.ms ?? 100);
    if (!Number.isInteger(ms) || ms < 0) {
      res
        .status(400)
        .json({ error: `ms must be a whole number of milliseconds, got ${JSON.stringify(req.query.ms)}` });
      return;
    }
    const waitedMs = Math.min(ms, SLOW_MAX_MS);
    setTimeout(() => res.json({ waitedMs }), waitedMs);
  });

  // SSE: lameduck finds it by its Content-Type and ends it with a retry: hint when the
  // listener closes. One whole event per write().
  app.get('/events', (_req, res) => {
    res.set({ 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }).flushHeaders();
    let n = 0;
    const timer = setInterval(
      () => res.write(`data: ${JSON.stringify({ n: ++n, pid: process.pid })}\n\n`),
      200,
    );
    res.once('close', () => clearInterval(timer));
  });

  return app;
}

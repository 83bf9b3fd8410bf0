import { lameduckMiddleware } from '@lameduck/express';
import express from 'express';

/** `/slow` waits at most this long. Only requests up to LAMEDUCK_DRAIN_TIMEOUT_MS are promised to finish in a drain. */
export const SLOW_MAX_MS = 60_000;

/**
 * Builds the app without listening, so tests can import it.
 * `GET /` answers at once; `POST /` echoes the JSON body; `GET /slow?ms=N` answers after N ms; `/readyz` and `/livez` are the probes.
 */
export function buildApp(lameduck) {
  const app = express();
  // First, before any other middleware: probes are answered here and never reach the rest.
  app.use(lameduckMiddleware(lameduck));

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

  return app;
}

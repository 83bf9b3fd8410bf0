import { type ContractHarness, contractApp, echoMessages, serveEvents } from '@lameduck/contract';
import type { Express } from 'express';
import { WebSocketServer } from 'ws';
import { createLameduck, lameduckMiddleware, listen } from '../src/index.js';

export type ExpressFactory = () => Express;

export function addRoutes(app: Express): void {
  app.get('/', (_req, res) => {
    res.send('ok');
  });
  app.get('/slow', (req, res) => {
    setTimeout(() => res.send('slow'), Number(req.query.ms ?? 100));
  });
  app.get('/events', (_req, res) => serveEvents(res));
}

/**
 * The contract harness. `'listen'`, the quick start: routes, then listen(), which answers the
 * probes in front of Express. `'middleware'`: one app.use() line first, then routes, then
 * listen(), which leaves the probes to the middleware.
 */
export function expressHarness(
  name: string,
  express: ExpressFactory,
  probesBy: 'listen' | 'middleware',
): ContractHarness {
  return {
    name: `${name}, probes served by ${probesBy === 'listen' ? 'listen()' : 'lameduckMiddleware'}`,
    async start(options, probes) {
      const lameduck = createLameduck(options);
      const app = express();
      if (probesBy === 'middleware') app.use(lameduckMiddleware(lameduck, probes));
      addRoutes(app);
      const server = await listen(app, lameduck, {
        port: 0,
        host: '127.0.0.1',
        ...(probesBy === 'listen' && probes !== undefined ? { probes } : {}),
      });
      const wss = new WebSocketServer({ server, path: '/ws' });
      wss.on('connection', echoMessages);
      lameduck.trackWebSockets(wss);
      return contractApp(lameduck, server);
    },
  };
}

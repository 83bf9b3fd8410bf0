import type * as http from 'node:http';
import type { ContractHarness } from '@lameduck/contract';
import type { Express } from 'express';
import { createLameduck, lameduckMiddleware, listen } from '../src/index.js';

export type ExpressFactory = () => Express;

/** Closes what a test left open: the lameduck instance and the server. */
export async function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  if (!server.listening) return;
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export function addRoutes(app: Express): void {
  app.get('/', (_req, res) => {
    res.send('ok');
  });
  app.get('/slow', (req, res) => {
    setTimeout(() => res.send('slow'), Number(req.query.ms ?? 100));
  });
}

/** The contract harness: one app.use() line first, then routes, then listen(). */
export function expressHarness(name: string, express: ExpressFactory): ContractHarness {
  return {
    name,
    async start(options, probes) {
      const lameduck = createLameduck(options);
      const app = express();
      app.use(lameduckMiddleware(lameduck, probes));
      addRoutes(app);
      const server = await listen(app, lameduck, { port: 0, host: '127.0.0.1' });
      const { port } = server.address() as { port: number };
      return {
        url: `http://127.0.0.1:${port}`,
        lameduck,
        async close() {
          lameduck.dispose();
          await closeServer(server);
        },
      };
    },
  };
}

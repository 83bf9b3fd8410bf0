// @godaddy/terminus as its README's Kubernetes section wires it: a health check, and a
// beforeShutdown that waits for the endpoint removal (its example: 5 s; here the same 3 s
// delay lameduck gets), then its stoppable-based close within `timeout`.
import terminus from '@godaddy/terminus';
import { createServer, listen } from './routes.mjs';

let shuttingDown = false;
const server = createServer(() => !shuttingDown);
terminus.createTerminus(server, {
  signals: ['SIGTERM'],
  healthChecks: { '/healthz': async () => {} },
  beforeShutdown: () => {
    shuttingDown = true;
    return new Promise((resolve) => setTimeout(resolve, Number(process.env.PEER_DELAY_MS ?? 3000)));
  },
  timeout: 10_000,
  useExit0: true,
});
listen(server);

// lightship as its README shows: signalReady() once listening, a shutdown handler that closes the
// server, shutdownDelay for the endpoint removal (its default in Kubernetes, 5 s; here the same
// 3 s lameduck gets). Its probe server listens on a port of its own (here a free one); the
// simulator probes the app's /readyz, which answers what lightship says.
import { createLightship } from 'lightship';
import { createServer, listen } from './routes.mjs';

const lightship = await createLightship({
  port: 0,
  detectKubernetes: false,
  shutdownDelay: Number(process.env.PEER_DELAY_MS ?? 3000),
  terminate: () => process.exit(1),
});
const server = createServer(() => lightship.isServerReady() && !lightship.isServerShuttingDown());
lightship.registerShutdownHandler(() => new Promise((resolve) => server.close(resolve)));
server.on('listening', () => lightship.signalReady());
listen(server);

// stoppable as its README shows: server.stop() on SIGTERM (no signal handling of its own), then exit.
import stoppable from 'stoppable';
import { createServer, listen } from './routes.mjs';

const server = stoppable(listen(createServer()), 10_000);
process.on('SIGTERM', () => server.stop(() => process.exit(0)));

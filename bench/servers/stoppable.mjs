import stoppable from 'stoppable';
import { createServer, listen } from './common.mjs';

const server = stoppable(createServer(), 10_000);
process.once('SIGTERM', () => server.stop(() => process.exit(0)));
listen(server);

// Baseline: node:http with nothing on top; SIGTERM → server.close() → exit.
import { createServer, listen } from './common.mjs';

const server = createServer();
process.once('SIGTERM', () => server.close(() => process.exit(0)));
listen(server);

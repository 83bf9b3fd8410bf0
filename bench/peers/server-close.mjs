// The usual hand-written shutdown: server.close() at SIGTERM, exit when it calls back.
import { createServer, listen } from './routes.mjs';

const server = listen(createServer());
process.on('SIGTERM', () => server.close(() => process.exit(0)));

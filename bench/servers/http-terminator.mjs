import { createHttpTerminator } from 'http-terminator';
import { createServer, listen } from './common.mjs';

const server = createServer();
const terminator = createHttpTerminator({ server, gracefulTerminationTimeout: 10_000 });
process.once('SIGTERM', () => terminator.terminate().then(() => process.exit(0)));
listen(server);

import terminus from '@godaddy/terminus';
import { createServer, listen } from './common.mjs';

const server = createServer();
terminus.createTerminus(server, { signals: ['SIGTERM'], timeout: 10_000, useExit0: true });
listen(server);

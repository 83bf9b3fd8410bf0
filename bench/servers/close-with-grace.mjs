import closeWithGrace from 'close-with-grace';
import { createServer, listen } from './common.mjs';

const server = createServer();
closeWithGrace({ delay: 10_000, logger: false }, () => new Promise((resolve) => server.close(resolve)));
listen(server);

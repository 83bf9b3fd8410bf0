// http-terminator as its README shows: terminate() on SIGTERM (it handles no signal itself), then exit.
import { createHttpTerminator } from 'http-terminator';
import { createServer, listen } from './routes.mjs';

const server = listen(createServer());
const terminator = createHttpTerminator({ server });
process.on('SIGTERM', async () => {
  await terminator.terminate();
  process.exit(0);
});

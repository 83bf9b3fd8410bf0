// No shutdown handling at all: as PID 1, node ignores SIGTERM and is SIGKILLed at the grace period.
import { createServer, listen } from './routes.mjs';

listen(createServer());

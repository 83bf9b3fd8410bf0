import { createLameduck, silentLogger } from '@lameduck/core';
import { createServer, listen } from './common.mjs';

const lameduck = createLameduck({ drainDelayMs: 0, summary: false, logger: silentLogger });
const server = createServer();
lameduck.attach(server);
listen(server);

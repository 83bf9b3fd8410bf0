// Run as `node server.js` (never through npm or a shell, so that SIGTERM reaches node).
// Lameduck reads its settings from LAMEDUCK_* environment variables (see README.md).
import { buildApp } from './app.js';
import { createPool } from './db.js';

const app = await buildApp({ pool: createPool() });
await app.listen({ port: Number(process.env.PORT || 3000), host: process.env.HOST || '0.0.0.0' });

process.stdout.write(`${JSON.stringify({ msg: 'listening', port: app.server.address().port })}\n`);

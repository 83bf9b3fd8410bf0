// Run as `node server.js` (never through npm or a shell, so that SIGTERM reaches node).
// Lameduck reads its settings from LAMEDUCK_* environment variables (see README.md).
import { createLameduck, listen } from '@lameduck/koa';
import { WebSocketServer } from 'ws';
import { buildApp } from './app.js';
import { createPool } from './db.js';

const lameduck = createLameduck();
const pool = createPool();
lameduck.onShutdown('database pool', () => pool.end());

const app = buildApp();
const server = await listen(app, lameduck, {
  port: Number(process.env.PORT || 3000),
  host: process.env.HOST || '0.0.0.0',
});
// Keep idle keep-alive sockets open longer than proxies and load balancers do (60 s), and
// headersTimeout above keepAliveTimeout, or the proxy reuses a socket node just closed.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;

// An echo WebSocket at /ws on the same server; lameduck closes each one (1001) when the listener closes.
const wss = new WebSocketServer({ server, path: '/ws' });
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
lameduck.trackWebSockets(wss);

process.stdout.write(`${JSON.stringify({ msg: 'listening', port: server.address().port })}\n`);

// A core-only service: node:http + @lameduck/core, nothing else.
//
//   PORT=3000 LAMEDUCK_DRAIN_DELAY_MS=5000 node examples/node-http/server.js
//
// Routes: GET / answers at once, POST / echoes the JSON body, GET /slow?ms=N answers after N ms,
// /ws is an echo WebSocket, GET /events an SSE stream (one event every 200 ms), /readyz and /livez are
// the probes, GET /prestop is for a preStop httpGet hook (it starts the drain and answers once
// the drain delay has passed); it is served only when LAMEDUCK_PRESTOP_TOKEN is set, and only
// to a request with `Authorization: Bearer <token>`. Settings come from LAMEDUCK_* environment
// variables. Prints one JSON line
// {"msg":"listening","port":N} on stdout once it listens.
import * as http from 'node:http';
import { createLameduck, createProbeRouter } from '@lameduck/core';
import { WebSocketServer } from 'ws';

const MAX_SLOW_MS = 60_000;

const lameduck = createLameduck();
// Without a token, a preStop path would let anyone who reaches the port stop the pod.
const probes = createProbeRouter(lameduck, {
  preStopPath: process.env.LAMEDUCK_PRESTOP_TOKEN ? '/prestop' : false,
});

// Stands for a database pool: cleanup closes it after HTTP has drained.
const pool = {
  open: true,
  async end() {
    await new Promise((resolve) => setTimeout(resolve, 20));
    pool.open = false;
  },
};
lameduck.onShutdown('db-pool', () => pool.end());

function slowMs(url) {
  const value = Number(new URL(url, 'http://localhost').searchParams.get('ms') ?? 100);
  return Number.isFinite(value) && value >= 0 ? Math.min(value, MAX_SLOW_MS) : 100;
}

function send(res, statusCode, body) {
  const text = JSON.stringify(body);
  res.writeHead(statusCode, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

const server = http.createServer((req, res) => {
  if (probes(req, res)) return;
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && path === '/') {
    send(res, 200, { hello: 'world', pid: process.pid });
    return;
  }
  if (req.method === 'POST' && path === '/') {
    // Echoes the JSON body it got (the simulator's --method POST checks the echo).
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      try {
        send(res, 200, JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null'));
      } catch {
        send(res, 400, { error: 'the body must be JSON' });
      }
    });
    return;
  }
  if (req.method === 'GET' && path === '/slow') {
    const ms = slowMs(req.url ?? '/');
    const timer = setTimeout(() => send(res, 200, { slept: ms, pid: process.pid }), ms);
    res.once('close', () => clearTimeout(timer));
    return;
  }
  if (req.method === 'GET' && path === '/events') {
    // SSE: lameduck finds it by its Content-Type. One whole event per write().
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let n = 0;
    const timer = setInterval(
      () => res.write(`data: ${JSON.stringify({ n: ++n, pid: process.pid })}\n\n`),
      200,
    );
    res.once('close', () => clearInterval(timer));
    return;
  }
  send(res, 404, { error: 'not found' });
});

// An echo WebSocket at /ws; lameduck sends each client a close frame (1001) when the listener closes.
const wss = new WebSocketServer({ server, path: '/ws' });
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
lameduck.trackWebSockets(wss);

// Keep idle keep-alive sockets open longer than proxies and load balancers do (60 s), and
// headersTimeout above keepAliveTimeout, or the proxy reuses a socket node just closed.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
lameduck.attach(server);

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '0.0.0.0';
server.listen(port, host, () => {
  const address = server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port: actual })}\n`);
});

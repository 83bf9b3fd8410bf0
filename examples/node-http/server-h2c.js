// The same service over HTTP/2 cleartext (h2c): node:http2 + @lameduck/core. What an h2c
// upstream of Envoy, Istio or a gRPC-web proxy looks like.
//
//   PORT=3000 LAMEDUCK_DRAIN_DELAY_MS=5000 node examples/node-http/server-h2c.js
//
// Routes: GET / answers at once, GET /slow?ms=N answers after N ms, /readyz and /livez are the
// probes. At SIGTERM every session is told to go away with the two-step GOAWAY while the drain
// delay keeps serving; streams in flight finish. Prints one JSON line {"msg":"listening","port":N}
// on stdout once it listens.
import * as http2 from 'node:http2';
import { createLameduck, createProbeRouter } from '@lameduck/core';

const MAX_SLOW_MS = 60_000;

const lameduck = createLameduck();
const probes = createProbeRouter(lameduck);

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

const server = http2.createServer((req, res) => {
  if (probes(req, res)) return;
  const path = req.url.split('?')[0];
  if (req.method === 'GET' && path === '/') {
    send(res, 200, { hello: 'world', pid: process.pid, protocol: 'h2c' });
    return;
  }
  if (req.method === 'GET' && path === '/slow') {
    const ms = slowMs(req.url);
    const timer = setTimeout(() => send(res, 200, { slept: ms, pid: process.pid }), ms);
    res.once('close', () => clearTimeout(timer));
    return;
  }
  send(res, 404, { error: 'not found' });
});
lameduck.attach(server);

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '0.0.0.0';
server.listen(port, host, () => {
  const address = server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port: actual })}\n`);
});

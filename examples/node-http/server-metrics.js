// The node:http example with an admin server for metrics and probes, and lameduck's metrics
// in Prometheus format through OpenTelemetry.
//
//   PORT=3000 ADMIN_PORT=9464 LAMEDUCK_DRAIN_DELAY_MS=5000 node examples/node-http/server-metrics.js
//   curl http://127.0.0.1:9464/metrics
//
// The app port serves GET / and GET /slow?ms=N. The admin port (no Service exposes it) serves
// /readyz, /livez, the preStop path /prestop (no token needed there) and /metrics; it keeps
// answering while the app port drains and closes last. Prints one JSON line
// {"msg":"listening","port":N,"adminPort":M} on stdout once both listen.
import * as http from 'node:http';
import { createLameduck, createProbeRouter } from '@lameduck/core';
import { instrumentLameduck } from '@lameduck/opentelemetry';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

const MAX_SLOW_MS = 60_000;

const lameduck = createLameduck();
const exporter = new PrometheusExporter({ preventServerStart: true });
instrumentLameduck({ lameduck, meterProvider: new MeterProvider({ readers: [exporter] }) });

const app = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/slow') {
    const ms = Math.min(Math.max(Number(url.searchParams.get('ms') ?? 100) || 0, 0), MAX_SLOW_MS);
    const timer = setTimeout(() => res.end(JSON.stringify({ slept: ms })), ms);
    res.once('close', () => clearTimeout(timer));
    return;
  }
  res.end(JSON.stringify({ hello: 'world', pid: process.pid }));
});
app.keepAliveTimeout = 65_000;
app.headersTimeout = 66_000;

const probes = createProbeRouter(lameduck, { preStopPath: '/prestop', adminOnly: true });
const admin = http.createServer((req, res) => {
  if (probes(req, res)) return;
  if ((req.url ?? '').split('?')[0] === '/metrics') {
    exporter.getMetricsRequestHandler(req, res);
    return;
  }
  res.statusCode = 404;
  res.end();
});

lameduck.attach(app);
lameduck.attach(admin, { role: 'admin' });

const host = process.env.HOST ?? '0.0.0.0';
const listen = (server, port) =>
  new Promise((resolve) => server.listen(port, host, () => resolve(server.address().port)));
const [port, adminPort] = await Promise.all([
  listen(app, Number(process.env.PORT ?? 3000)),
  listen(admin, Number(process.env.ADMIN_PORT ?? 9464)),
]);
process.stdout.write(`${JSON.stringify({ msg: 'listening', port, adminPort })}\n`);

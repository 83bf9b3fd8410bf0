// One hot-path variant: `node server.mjs <framework> <bare|lameduck> [spinShare]`. Serves
// `GET /` (a small JSON), listens on 127.0.0.1:0, and answers `usage` over IPC with its own
// process.cpuUsage(), so the bench measures the server's CPU time only, not the client's.
import http from 'node:http';

const [framework, variant, spinShare] = process.argv.slice(2);
const withLameduck = variant === 'lameduck';
const options = { drainDelayMs: 0, summary: false };

// The 2 % control: extra work per request, calibrated against CPU time, not wall time.
let spinIterations = 0;
let sink = 0;
function spin() {
  for (let i = 0; i < spinIterations; i += 1) sink = (sink + i * 31) % 1_000_003;
}
if (spinShare !== undefined) {
  const [share, perRequestUs] = spinShare.split(':').map(Number);
  const before = process.cpuUsage();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < 300) {
    for (let i = 0; i < 10_000; i += 1) sink = (sink + i * 31) % 1_000_003;
    n += 10_000;
  }
  const used = process.cpuUsage(before);
  const perUs = n / (used.user + used.system);
  spinIterations = Math.round(perUs * share * perRequestUs);
}

async function start() {
  const body = { hello: 'world' };
  if (framework === 'express') {
    const express = (await import('express')).default;
    const app = express();
    if (withLameduck) {
      const { createLameduck, lameduckMiddleware } = await import('@lameduck/express');
      const lameduck = createLameduck(options);
      app.use(lameduckMiddleware(lameduck));
      const server = http.createServer(app);
      lameduck.attach(server);
      app.get('/', (_req, res) => res.json(body));
      return server;
    }
    app.get('/', (_req, res) => {
      if (spinIterations > 0) spin();
      res.json(body);
    });
    return http.createServer(app);
  }
  if (framework === 'koa') {
    const Koa = (await import('koa')).default;
    const app = new Koa();
    let lameduck;
    if (withLameduck) {
      const mod = await import('@lameduck/koa');
      lameduck = mod.createLameduck(options);
      app.use(mod.lameduckMiddleware(lameduck));
    }
    app.use((ctx) => {
      ctx.body = body;
    });
    const server = http.createServer(app.callback());
    lameduck?.attach(server);
    return server;
  }
  if (framework === 'fastify') {
    const Fastify = (await import('fastify')).default;
    const app = Fastify({ logger: false });
    if (withLameduck) {
      const { lameduck } = await import('@lameduck/fastify');
      await app.register(lameduck, options);
    }
    app.get('/', async () => body);
    await app.ready();
    return app.server;
  }
  throw new Error(`unknown framework ${framework}`);
}

const server = await start();
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.send({ msg: 'listening', port: server.address().port }));
process.on('message', (message) => {
  if (message === 'usage') process.send({ msg: 'usage', usage: process.cpuUsage() });
  if (message === 'stop') process.exit(0);
});

// One hot-path variant: `node server.mjs <framework> <bare|lameduck>`. Serves `GET /`
// (a small JSON), listens on 127.0.0.1:0, and answers `usage` over IPC with its own
// process.cpuUsage() (user + system), so the bench counts the server's CPU time only, never the
// client's. Frameworks: express, koa, fastify, nestjs-express, nestjs-fastify.
//
// `{ msg: 'spin', us }` over IPC (the 2 % control): that many microseconds of extra CPU work in
// every request from then on, the loop calibrated here against process.cpuUsage() (CPU time, not
// wall time).
import http from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [framework, variant] = process.argv.slice(2);
const withLameduck = variant === 'lameduck';
// The drain delay a pod gets by default (5 s). It matters here: with a delay shorter than the
// first-request grace (1 s) lameduck notes each socket's bytes read on every response (about
// 1,000 instructions more per request), with a longer one only when draining starts.
const options = { drainDelayMs: 5000, summary: false };
const body = { hello: 'world' };

let spinIterations = 0;
let sink = 0;
// What the extra work really cost, timed where it runs (its cost under load can differ from the
// calibration's): one call in 64 is timed, since two clock reads cost about 0.2 µs here, a large
// share of the 2 % itself (timing every call made the control read 2–3 times what it added). The
// bench takes the median of the last 8,192 timed calls: a call during which the process was
// preempted lasts milliseconds of wall time and no more CPU time.
const spinDurations = new Float64Array(8192);
let spinCalls = 0;
let spinTimed = 0;
function spinLoop() {
  for (let i = 0; i < spinIterations; i += 1) sink = (sink + i * 31) % 1_000_003;
}
function spin() {
  spinCalls += 1;
  if ((spinCalls & 63) !== 0) {
    spinLoop();
    return;
  }
  const started = performance.now();
  spinLoop();
  spinDurations[spinTimed % spinDurations.length] = performance.now() - started;
  spinTimed += 1;
}

function spinMedianUs() {
  if (spinTimed === 0) return 0;
  const filled = spinDurations.slice(0, Math.min(spinTimed, spinDurations.length)).sort();
  return filled[Math.floor(filled.length / 2)] * 1000;
}

/** Iterations of the spin loop per CPU microsecond, over `ms` of CPU time. */
function calibrate(ms) {
  const before = process.cpuUsage();
  const iterations = spinIterations;
  spinIterations = 10_000;
  let n = 0;
  let used = 0;
  while (used < ms * 1000) {
    spinLoop();
    n += 10_000;
    const now = process.cpuUsage(before);
    used = now.user + now.system;
  }
  spinIterations = iterations;
  return n / used;
}

function setSpin(us) {
  // Warm the loop first so the calibration measures the optimised code the requests will run.
  calibrate(100);
  const perUs = calibrate(500);
  spinIterations = Math.round(perUs * us);
}

// Nest (bare and with the adapter alike) is loaded from where @lameduck/nestjs finds it: one copy
// of @nestjs/core per process, as in an app (the bench's own copy differs by its peer set, and Nest
// cannot inject across two copies).
async function nest(platform) {
  const fromAdapter = createRequire(fileURLToPath(import.meta.resolve('@lameduck/nestjs')));
  const load = (name) => import(pathToFileURL(fromAdapter.resolve(name)).href);
  await load('reflect-metadata');
  const { Controller, Get, Module } = await load('@nestjs/common');
  const { NestFactory } = await load('@nestjs/core');
  class AppController {
    root() {
      if (spinIterations > 0) spin();
      return body;
    }
  }
  const method = Object.getOwnPropertyDescriptor(AppController.prototype, 'root');
  Reflect.decorate([Get()], AppController.prototype, 'root', method);
  Reflect.decorate([Controller()], AppController);
  const imports = [];
  let nestjs;
  if (withLameduck) {
    nestjs = await import('@lameduck/nestjs');
    imports.push(nestjs.LameduckModule.forRoot(options));
  }
  class AppModule {}
  Reflect.decorate([Module({ imports, controllers: [AppController] })], AppModule);
  let adapter;
  if (platform === 'fastify') {
    const { FastifyAdapter } = await load('@nestjs/platform-fastify');
    adapter = new FastifyAdapter();
  }
  const app = adapter
    ? await NestFactory.create(AppModule, adapter, { logger: false, abortOnError: false })
    : await NestFactory.create(AppModule, { logger: false, abortOnError: false });
  if (nestjs) app.get(nestjs.LameduckService).bindApplication(app);
  const server = app.getHttpServer();
  server.keepAliveTimeout = 65_000;
  await app.listen(0, '127.0.0.1');
  return server;
}

async function start() {
  if (framework === 'express') {
    const express = (await import('express')).default;
    const app = express();
    let lameduck;
    if (withLameduck) {
      const mod = await import('@lameduck/express');
      lameduck = mod.createLameduck(options);
    }
    // The instruction count's floor for Express: what any one middleware costs there.
    if (variant === 'noop') app.use((_req, _res, next) => next());
    app.get('/', (_req, res) => {
      if (spinIterations > 0) spin();
      res.json(body);
    });
    const server = http.createServer(app);
    // What the README's quick start gets from the adapter's listen(): the server attached with
    // the probes in front of Express, and no lameduck middleware.
    lameduck?.attach(server, { probes: true });
    return server;
  }
  if (framework === 'koa') {
    const Koa = (await import('koa')).default;
    const app = new Koa();
    let lameduck;
    if (withLameduck) {
      const mod = await import('@lameduck/koa');
      lameduck = mod.createLameduck(options);
    }
    app.use((ctx) => {
      if (spinIterations > 0) spin();
      ctx.body = body;
    });
    // What the README's quick start gets from the adapter's listen(): the server attached with
    // the probes in front of Koa, and no lameduck middleware.
    const server = http.createServer(app.callback());
    lameduck?.attach(server, { probes: true });
    return server;
  }
  if (framework === 'fastify') {
    const Fastify = (await import('fastify')).default;
    const app = Fastify({ logger: false, abortOnError: false });
    if (withLameduck) {
      const { lameduck } = await import('@lameduck/fastify');
      await app.register(lameduck, options);
    }
    app.get('/', async () => {
      if (spinIterations > 0) spin();
      return body;
    });
    await app.ready();
    return app.server;
  }
  if (framework === 'nestjs-express') return nest('express');
  if (framework === 'nestjs-fastify') return nest('fastify');
  throw new Error(`unknown framework ${framework}`);
}

const server = await start();
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
const listening = () => process.send({ msg: 'listening', port: server.address().port });
// NestJS listens through app.listen(); the others here.
if (server.listening) listening();
else server.listen(0, '127.0.0.1', listening);
process.on('message', (message) => {
  if (message === 'usage') {
    const { user, system } = process.cpuUsage();
    process.send({ msg: 'usage', cpuUs: user + system, spinMedianUs: spinMedianUs() });
  }
  if (message?.msg === 'spin') {
    // A set count of loop iterations (the instruction-count bench: under valgrind a CPU-time
    // calibration means nothing), or microseconds of CPU time calibrated here.
    if (message.iterations !== undefined) spinIterations = message.iterations;
    else setSpin(message.us);
    process.send({ msg: 'spin', iterations: spinIterations, sink });
  }
  if (message === 'stop') process.exit(0);
});
// The bench gone (killed, crashed): no server outlives it.
process.on('disconnect', () => process.exit(0));

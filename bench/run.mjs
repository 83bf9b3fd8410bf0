#!/usr/bin/env node
// Side-by-side numbers for lameduck and its peers, in one run (compare ratios, not absolute times):
//  1. per-request overhead: requests/s through a keep-alive pool, relative to plain node:http;
//  2. drain: time from SIGTERM to exit with 100 idle keep-alive sockets and one 300 ms request
//     in flight, and whether that request succeeded.
// Every server is a child process on 127.0.0.1; every run is bounded in count and time.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Pool } from 'undici';

const VARIANTS = ['plain', 'lameduck', 'terminus', 'http-terminator', 'stoppable', 'close-with-grace'];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 10_000);
const CONCURRENCY = 64;
const IDLE_SOCKETS = 100;
const LIMIT_MS = 20_000;

async function start(variant) {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'servers', `${variant}.mjs`)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const guard = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS * 3);
  child.once('exit', () => clearTimeout(guard));
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const message = JSON.parse(line);
    if (message.msg === 'listening') return { child, origin: `http://127.0.0.1:${message.port}` };
  }
  throw new Error(`${variant} never listened`);
}

async function throughput(origin) {
  const pool = new Pool(origin, { connections: CONCURRENCY, pipelining: 1 });
  let next = 0;
  const worker = async () => {
    while (next < REQUESTS) {
      next += 1;
      const { body } = await pool.request({ path: '/', method: 'GET' });
      await body.text();
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return REQUESTS / seconds;
}

async function drain(variant) {
  const { child, origin } = await start(variant);
  const pool = new Pool(origin, { connections: IDLE_SOCKETS + 1, pipelining: 1 });
  // Open 100 keep-alive sockets, then leave them idle.
  await Promise.all(
    Array.from({ length: IDLE_SOCKETS }, async () => {
      const { body } = await pool.request({ path: '/?ms=20', method: 'GET' });
      await body.text();
    }),
  );
  const slow = pool.request({ path: '/?ms=300', method: 'GET' }).then(
    async ({ statusCode, body }) => {
      await body.text();
      return statusCode === 200 ? 'ok' : String(statusCode);
    },
    (error) => error.code ?? error.message,
  );
  await new Promise((resolve) => setTimeout(resolve, 50));
  const signalled = performance.now();
  child.kill('SIGTERM');
  const [code, signal] = await once(child, 'exit');
  const exitMs = performance.now() - signalled;
  const inFlight = await slow;
  await pool.destroy();
  return { exitMs, code: code ?? signal, inFlight };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  console.log(`lameduck bench — node ${process.version}, ${ROUNDS} rounds, ${REQUESTS} requests/round\n`);
  const rates = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  for (let round = 0; round < ROUNDS; round += 1) {
    // Rotate the order each round so that no variant always runs first (warm-up, noise).
    const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]);
    for (const variant of order) {
      const { child, origin } = await start(variant);
      rates[variant].push(await throughput(origin));
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
  const drains = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const variant of VARIANTS) drains[variant].push(await drain(variant));
  }
  const base = median(rates.plain);
  console.log('Exit: SIGTERM with 100 idle keep-alive sockets and one 300 ms request in flight.\n');
  console.log('variant            req/s   vs plain   exit after SIGTERM   in-flight request   exit');
  for (const variant of VARIANTS) {
    const rate = median(rates[variant]);
    const runs = drains[variant];
    const exitMs = median(runs.map((r) => r.exitMs));
    const outcomes = [...new Set(runs.map((r) => r.inFlight))].join('/');
    const codes = [...new Set(runs.map((r) => r.code))].join('/');
    console.log(
      `${variant.padEnd(18)} ${rate.toFixed(0).padStart(6)}   ${(rate / base).toFixed(2).padStart(7)}x   ${`${exitMs.toFixed(0)} ms`.padStart(18)}   ${outcomes.padEnd(17)}   ${codes}`,
    );
  }
}

const watchdog = setTimeout(() => {
  console.error('bench: took too long, giving up');
  process.exit(1);
}, 5 * 60_000);
watchdog.unref();
await main();

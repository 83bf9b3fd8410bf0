#!/usr/bin/env node
// CPU per request of a lameduck-attached node:http server, two builds of @lameduck/core side by
// side, interleaved (A B A B ...) so that machine noise hits both alike; prints the medians.
//   node scripts/hot-path-bench.mjs <before.mjs> [after.mjs]   (after: packages/core/dist/index.js)
// Bounded: ROUNDS x REQUESTS requests per build, each server killed by PID after its round.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { Pool } from 'undici';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
const WARMUP = 3000;
const CONCURRENCY = 16;
const builds = {
  before: resolve(process.argv[2] ?? ''),
  after: resolve(process.argv[3] ?? join(import.meta.dirname, '..', 'packages/core/dist/index.js')),
};
if (!process.argv[2]) {
  console.error('usage: node scripts/hot-path-bench.mjs <before build .mjs> [after build .mjs]');
  process.exit(2);
}

function next(child) {
  return once(child, 'message').then(([message]) => message);
}

async function drive(origin, count) {
  const pool = new Pool(origin, { connections: CONCURRENCY, pipelining: 1 });
  let sent = 0;
  const worker = async () => {
    while (sent < count) {
      sent += 1;
      const { body } = await pool.request({ path: '/', method: 'GET' });
      await body.text();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await pool.close();
}

async function round(build) {
  const child = fork(join(import.meta.dirname, 'hot-path-server.mjs'), [build], { stdio: 'inherit' });
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    const { port } = await next(child);
    const origin = `http://127.0.0.1:${port}`;
    await drive(origin, WARMUP);
    child.send('mark');
    await next(child);
    await drive(origin, REQUESTS);
    child.send('usage');
    const { cpuMicros } = await next(child);
    child.send('stop');
    return cpuMicros / REQUESTS;
  } finally {
    clearTimeout(guard);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const results = { before: [], after: [] };
for (let i = 0; i < ROUNDS; i += 1) {
  for (const name of i % 2 === 0 ? ['before', 'after'] : ['after', 'before']) {
    results[name].push(await round(builds[name]));
  }
}
const before = median(results.before);
const after = median(results.after);
console.log(`CPU per request, median of ${ROUNDS} interleaved rounds of ${REQUESTS} requests:`);
console.log(`  before ${before.toFixed(2)} µs   (${results.before.map((v) => v.toFixed(1)).join(' ')})`);
console.log(`  after  ${after.toFixed(2)} µs   (${results.after.map((v) => v.toFixed(1)).join(' ')})`);
console.log(`  change ${(((after - before) / before) * 100).toFixed(2)} % (medians)`);
// Each round runs both builds back to back: the median of the paired differences cancels most
// of the machine's drift between rounds.
const paired = median(
  results.after.map((value, i) => ((value - results.before[i]) / results.before[i]) * 100),
);
console.log(`  change ${paired.toFixed(2)} % (median of the ${ROUNDS} paired differences)`);

#!/usr/bin/env node
// Hot path: CPU time per request of the server process (process.cpuUsage, over IPC) for each
// framework bare and with its lameduck adapter, variants interleaved round by round (the order
// rotates each round), every figure the median over the rounds with its spread. Two controls
// prove the bench can resolve 2 %: bare vs bare (must show ~0) and bare + 2 % of work added on
// purpose (must show ~+2 %). Writes nothing itself; run.mjs collects the result.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { Pool } from 'undici';

const SERVER = join(import.meta.dirname, 'hot', 'server.mjs');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
const WARMUP = 3000;
const CONNECTIONS = 32;

function start(framework, variant, spin) {
  const child = fork(SERVER, [framework, variant, ...(spin ? [spin] : [])], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const guard = setTimeout(() => child.kill('SIGKILL'), 30 * 60_000);
  child.once('exit', () => clearTimeout(guard));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('message', (message) => resolve({ child, port: message.port }));
  });
}

function usage(child) {
  return new Promise((resolve) => {
    const onMessage = (message) => {
      if (message.msg !== 'usage') return;
      child.off('message', onMessage);
      resolve(message.usage.user + message.usage.system);
    };
    child.on('message', onMessage);
    child.send('usage');
  });
}

async function drive(port, count) {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CONNECTIONS, pipelining: 1 });
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      const { body } = await pool.request({ path: '/', method: 'GET' });
      await body.dump();
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return count / seconds;
}

/** CPU µs per request of one server over `REQUESTS` requests, and requests/s. */
async function measure(server) {
  await drive(server.port, WARMUP);
  const before = await usage(server.child);
  const rate = await drive(server.port, REQUESTS);
  const after = await usage(server.child);
  return { usPerRequest: (after - before) / REQUESTS, rate };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export async function hotPathBench() {
  const frameworks = ['express', 'koa', 'fastify'];
  // Calibrate the 2 % control on bare express first.
  const probe = await start('express', 'bare');
  const calibration = [];
  for (let i = 0; i < 3; i += 1) calibration.push((await measure(probe)).usPerRequest);
  probe.child.send('stop');
  const bareUs = median(calibration);
  process.stderr.write(
    `hot path: bare express ${bareUs.toFixed(1)} µs/request; the control adds 2 % (${(bareUs * 0.02).toFixed(2)} µs)\n`,
  );

  const variants = [
    ...frameworks.flatMap((framework) => [
      { name: `${framework} bare`, framework, variant: 'bare' },
      { name: `${framework} + lameduck`, framework, variant: 'lameduck' },
    ]),
    { name: 'control: express bare (again)', framework: 'express', variant: 'bare' },
    {
      name: 'control: express bare + 2 % work',
      framework: 'express',
      variant: 'bare',
      spin: `0.02:${bareUs}`,
    },
  ];
  for (const v of variants) v.server = await start(v.framework, v.variant, v.spin);
  const samples = new Map(variants.map((v) => [v.name, []]));
  for (let round = 0; round < ROUNDS; round += 1) {
    const order = variants.map((_, i) => variants[(i + round) % variants.length]);
    for (const v of order) {
      const result = await measure(v.server);
      samples.get(v.name).push({ round, ...result });
      process.stderr.write(
        `hot path round ${round + 1}/${ROUNDS} ${v.name}: ${result.usPerRequest.toFixed(1)} µs/request, ${Math.round(result.rate)} req/s\n`,
      );
    }
  }
  for (const v of variants) v.server.child.send('stop');

  // Each comparison is paired by round: the ratio of two variants measured in the same round.
  const ratio = (name, base) => {
    const a = samples.get(name);
    const b = samples.get(base);
    return a.map((sample, i) => sample.usPerRequest / b[i].usPerRequest - 1);
  };
  const summary = (values) => ({
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
  });
  const rows = variants.map((v) => ({
    name: v.name,
    usPerRequest: summary(samples.get(v.name).map((s) => s.usPerRequest)),
    rate: summary(samples.get(v.name).map((s) => s.rate)),
  }));
  const comparisons = [
    ...frameworks.map((f) => ({
      name: `${f}: lameduck vs bare`,
      ...summary(ratio(`${f} + lameduck`, `${f} bare`)),
    })),
    {
      name: 'control: bare vs bare (express)',
      ...summary(ratio('control: express bare (again)', 'express bare')),
    },
    {
      name: 'control: +2 % work vs bare (express)',
      ...summary(ratio('control: express bare + 2 % work', 'express bare')),
    },
  ];
  return {
    rounds: ROUNDS,
    requests: REQUESTS,
    connections: CONNECTIONS,
    calibrationUs: bareUs,
    rows,
    comparisons,
    samples: Object.fromEntries(samples),
  };
}

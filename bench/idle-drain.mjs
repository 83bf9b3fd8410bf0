#!/usr/bin/env node
// The drain of N idle keep-alive sockets that each carried one request (100 / 1,000 / 10,000):
// time from SIGTERM (drain delay 0: the listener closes at once) to the exit of the process,
// lameduck against node's own server.close() + closeIdleConnections(), interleaved round by
// round; and the memory per tracked socket (heap after GC with lameduck minus without, / N).
// The clients run in a process of their own: this one only sends SIGTERM and waits for the exit,
// so the exit is seen at once, not after this process handled 10,000 closing sockets. The server
// also reports its own figures: SIGTERM received to its 'exit' event, and its CPU time meanwhile.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { median } from './stats.mjs';

const SERVER = join(import.meta.dirname, 'hot', 'idle-server.mjs');
const CLIENTS = join(import.meta.dirname, 'hot', 'idle-clients.mjs');
const ROUNDS = Number(process.env.BENCH_DRAIN_ROUNDS ?? 5);
const SIZES = (process.env.BENCH_DRAIN_SIZES ?? '100,1000,10000').split(',').map(Number);

/** Forks `file`; kills it if it is still there after two minutes. */
function forkGuarded(file, args, options) {
  const child = fork(file, args, options);
  const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
  child.once('exit', () => clearTimeout(guard));
  return child;
}

async function start(variant) {
  const child = forkGuarded(SERVER, [variant], {
    execArgv: ['--expose-gc'],
    // fd 4: the server's own figures, written at its exit.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc', 'pipe'],
  });
  let own = '';
  child.stdio[4].on('data', (chunk) => {
    own += chunk;
  });
  const ownFigures = once(child.stdio[4], 'end').then(() => JSON.parse(own));
  const [message] = await once(child, 'message');
  return { child, port: message.port, ownFigures };
}

function memory(child) {
  return new Promise((resolve) => {
    child.once('message', (message) => resolve(message));
    child.send('memory');
  });
}

/** `n` keep-alive sockets from another process, one GET / each, idle once answered. */
async function openIdle(port, n) {
  const clients = forkGuarded(CLIENTS, [String(port), String(n)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const [message] = await Promise.race([
    once(clients, 'message'),
    once(clients, 'exit').then(([code]) => {
      throw new Error(`idle-clients exited with ${code} before opening ${n} sockets`);
    }),
  ]);
  if (message !== 'ready') throw new Error(`idle-clients said ${JSON.stringify(message)}`);
  return clients;
}

async function one(variant, n) {
  const server = await start(variant);
  const baseline = await memory(server.child);
  const clients = await openIdle(server.port, n);
  const loaded = await memory(server.child);
  const clientsDone = once(clients, 'exit');
  const sentAt = performance.now();
  server.child.kill('SIGTERM');
  const [code] = await once(server.child, 'exit');
  const exitMs = performance.now() - sentAt;
  const own = await server.ownFigures;
  // Every socket closed on the client side too (the clients exit then).
  await clientsDone;
  return {
    exitMs,
    inProcessMs: own.inProcessMs,
    cpuMs: own.cpuMs,
    code,
    heapPerSocket: (loaded.heapUsed - baseline.heapUsed) / n,
    rssPerSocket: (loaded.rss - baseline.rss) / n,
  };
}

export async function idleDrainBench() {
  const results = [];
  for (const n of SIZES) {
    const samples = { lameduck: [], node: [] };
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const variant of round % 2 ? ['node', 'lameduck'] : ['lameduck', 'node']) {
        const sample = await one(variant, n);
        samples[variant].push(sample);
        process.stderr.write(
          `idle drain ${n} sockets, round ${round + 1}/${ROUNDS}, ${variant}: exit ${Math.round(sample.exitMs)} ms after SIGTERM (code ${sample.code}; in the process ${Math.round(sample.inProcessMs)} ms, CPU ${Math.round(sample.cpuMs)} ms), heap ${Math.round(sample.heapPerSocket)} B/socket\n`,
        );
      }
    }
    const stat = (values) => ({ median: median(values), min: Math.min(...values), max: Math.max(...values) });
    const figures = (list) => ({
      exitMs: stat(list.map((s) => s.exitMs)),
      inProcessMs: stat(list.map((s) => s.inProcessMs)),
      cpuMs: stat(list.map((s) => s.cpuMs)),
      heapPerSocket: stat(list.map((s) => s.heapPerSocket)),
    });
    const pairRatios = (key) => samples.lameduck.map((s, i) => s[key] / samples.node[i][key]);
    const pairRatio = (key) => median(pairRatios(key));
    results.push({
      sockets: n,
      lameduck: figures(samples.lameduck),
      node: figures(samples.node),
      // What lameduck's tracking costs per socket: its heap per socket minus node's alone.
      trackedBytesPerSocket:
        median(samples.lameduck.map((s) => s.heapPerSocket)) -
        median(samples.node.map((s) => s.heapPerSocket)),
      exitRatio: pairRatio('exitMs'),
      inProcessRatio: pairRatio('inProcessMs'),
      cpuRatio: pairRatio('cpuMs'),
      exitRatios: pairRatios('exitMs'),
    });
    const last = results.at(-1);
    process.stderr.write(
      `idle drain ${n} sockets: lameduck / node ${last.exitRatio.toFixed(2)}× to the exit (rounds ${Math.min(...last.exitRatios).toFixed(2)}–${Math.max(...last.exitRatios).toFixed(2)}; in the process ${last.inProcessRatio.toFixed(2)}×, CPU ${last.cpuRatio.toFixed(2)}×), tracking ${Math.round(last.trackedBytesPerSocket)} B/socket\n`,
    );
  }
  return { rounds: ROUNDS, results };
}

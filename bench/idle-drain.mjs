#!/usr/bin/env node
// The drain of N idle keep-alive sockets that each carried one request (100 / 1,000 / 10,000):
// time from SIGTERM (drain delay 0: the listener closes at once) to the exit of the process,
// lameduck against node's own server.close() + closeIdleConnections(), interleaved round by
// round; and the memory per tracked socket (heap after GC with lameduck minus without, / N).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { join } from 'node:path';
import { median } from './hot-path.mjs';

const SERVER = join(import.meta.dirname, 'hot', 'idle-server.mjs');
const ROUNDS = Number(process.env.BENCH_DRAIN_ROUNDS ?? 3);
const SIZES = [100, 1000, 10_000];

async function start(variant) {
  const child = fork(SERVER, [variant], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
  child.once('exit', () => clearTimeout(guard));
  const [message] = await once(child, 'message');
  return { child, port: message.port };
}

function memory(child) {
  return new Promise((resolve) => {
    child.once('message', (message) => resolve(message));
    child.send('memory');
  });
}

/** Opens `n` keep-alive sockets, one GET / each, and leaves them idle once answered. */
async function openIdle(port, n) {
  const sockets = [];
  for (let i = 0; i < n; i += 200) {
    const batch = Array.from(
      { length: Math.min(200, n - i) },
      () =>
        new Promise((resolve, reject) => {
          const socket = net.connect({ host: '127.0.0.1', port });
          socket.once('error', reject);
          socket.once('connect', () => socket.write('GET / HTTP/1.1\r\nHost: bench\r\n\r\n'));
          socket.once('data', () => resolve(socket));
        }),
    );
    sockets.push(...(await Promise.all(batch)));
  }
  for (const socket of sockets) socket.on('error', () => {});
  return sockets;
}

async function one(variant, n) {
  const server = await start(variant);
  const baseline = await memory(server.child);
  const sockets = await openIdle(server.port, n);
  const loaded = await memory(server.child);
  const closed = Promise.all(sockets.map((socket) => (socket.destroyed ? null : once(socket, 'close'))));
  const sentAt = performance.now();
  server.child.kill('SIGTERM');
  const [code] = await once(server.child, 'exit');
  const exitMs = performance.now() - sentAt;
  await closed;
  return {
    exitMs,
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
          `idle drain ${n} sockets, round ${round + 1}/${ROUNDS}, ${variant}: exit ${Math.round(sample.exitMs)} ms after SIGTERM (code ${sample.code}), heap ${Math.round(sample.heapPerSocket)} B/socket\n`,
        );
      }
    }
    const stat = (values) => ({ median: median(values), min: Math.min(...values), max: Math.max(...values) });
    results.push({
      sockets: n,
      lameduck: {
        exitMs: stat(samples.lameduck.map((s) => s.exitMs)),
        heapPerSocket: stat(samples.lameduck.map((s) => s.heapPerSocket)),
      },
      node: {
        exitMs: stat(samples.node.map((s) => s.exitMs)),
        heapPerSocket: stat(samples.node.map((s) => s.heapPerSocket)),
      },
      // What lameduck's tracking costs per socket: its heap per socket minus node's alone.
      trackedBytesPerSocket:
        median(samples.lameduck.map((s) => s.heapPerSocket)) -
        median(samples.node.map((s) => s.heapPerSocket)),
      exitRatio: median(samples.lameduck.map((s, i) => s.exitMs / samples.node[i].exitMs)),
    });
  }
  return { rounds: ROUNDS, results };
}

// The idle-socket drain: `node --expose-gc idle-server.mjs <lameduck|node>`. Answers GET / on
// 127.0.0.1:0; over IPC reports its heap after a GC; on SIGTERM either lameduck drains (delay 0)
// or node's own shutdown runs: server.close() + server.closeIdleConnections(), exit on close.
// Both exit through process.exit() and log nothing. At its exit it writes to fd 4 how long it
// took from receiving SIGTERM (its first SIGTERM listener, the same in both) to the 'exit'
// event, and the CPU time it spent in between.
import { writeSync } from 'node:fs';
import http from 'node:http';

let sigtermAt;
let cpuAtSigterm;
process.on('SIGTERM', () => {
  sigtermAt ??= performance.now();
  cpuAtSigterm ??= process.cpuUsage();
});
process.on('exit', () => {
  if (sigtermAt === undefined) return;
  const cpu = process.cpuUsage(cpuAtSigterm);
  const report = { inProcessMs: performance.now() - sigtermAt, cpuMs: (cpu.user + cpu.system) / 1000 };
  writeSync(4, JSON.stringify(report));
});

const variant = process.argv[2];
const server = http.createServer((_req, res) => res.end('ok'));
server.keepAliveTimeout = 65_000;
if (variant === 'lameduck') {
  const { createLameduck, silentLogger } = await import('@lameduck/core');
  const lameduck = createLameduck({ drainDelayMs: 0, summary: false, logger: silentLogger });
  lameduck.attach(server);
} else {
  process.on('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  });
}
server.listen(0, '127.0.0.1', () => process.send({ msg: 'listening', port: server.address().port }));
process.on('message', (message) => {
  if (message !== 'memory') return;
  globalThis.gc?.();
  globalThis.gc?.();
  const memory = process.memoryUsage();
  process.send({ msg: 'memory', heapUsed: memory.heapUsed, rss: memory.rss });
});

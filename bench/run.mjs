#!/usr/bin/env node
// lameduck's bench, in one run: (1) the rollout table against the peers (rollout.mjs, every
// balancer this machine runs), (2) the hot path: CPU time per request of each framework bare
// and with its lameduck adapter, with the controls that show whether the run resolved 2 % (hot-path.mjs),
// the same counted in instructions under valgrind (hot-instructions.mjs), (3) the drain of 100 / 1,000 / 10,000 idle keep-alive sockets (idle-drain.mjs). Progress on
// stderr as it goes. Results: bench/results/bench.json; then `node bench/report.mjs` writes
// BENCHMARKS.md and bench/results/chart.svg from it.
//
//   BENCH_ONLY=hot,drain     run only some parts (rollout, hot, instructions, drain)
//   BENCH_IR_ROUNDS=2        rounds of the instruction count (valgrind), see hot-instructions.mjs
//   BENCH_DRAIN_ROUNDS=5     idle-drain rounds per size; BENCH_DRAIN_SIZES=100,1000,10000 its sizes
//   BENCH_HOT_SECONDS=600    the hot path's measuring time (starts and warm-ups come on top), see hot-path.mjs
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { hotInstructionsBench } from './hot-instructions.mjs';
import { hotPathBench } from './hot-path.mjs';
import { idleDrainBench } from './idle-drain.mjs';
import { rolloutBench } from './rollout.mjs';

const OUT = join(import.meta.dirname, 'results');
const FILE = join(OUT, 'bench.json');
const only = new Set((process.env.BENCH_ONLY ?? 'rollout,hot,instructions,drain').split(','));
mkdirSync(OUT, { recursive: true });
const previous = existsSync(FILE) ? JSON.parse(readFileSync(FILE, 'utf8')) : {};

const machine = {
  cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
  memoryGb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  kernel: execSync('uname -r').toString().trim(),
  load: execSync('cat /proc/loadavg').toString().trim(),
};
// A run of some parts keeps the date and machine of the last full run (the hot path carries its
// own date and load).
const full = ['rollout', 'hot', 'instructions', 'drain'].every((part) => only.has(part));
const result =
  full || previous.date === undefined
    ? { ...previous, date: new Date().toISOString(), machine }
    : { ...previous };
// When and on which commit each part ran, and the load at its start: parts run apart (BENCH_ONLY)
// say so in the report.
const stamp = () => ({
  date: new Date().toISOString(),
  load: execSync('cat /proc/loadavg').toString().trim().split(' ').slice(0, 3).join(' '),
  commit: execSync('git rev-parse --short HEAD', { cwd: import.meta.dirname })
    .toString()
    .trim(),
});
result.parts = { ...previous.parts };
if (only.has('rollout')) {
  result.parts.rollout = stamp();
  result.rollout = await rolloutBench();
}
if (only.has('hot')) {
  result.parts.hot = stamp();
  result.hotPath = await hotPathBench();
}
if (only.has('instructions')) {
  result.parts.instructions = stamp();
  result.hotInstructions = await hotInstructionsBench();
}
if (only.has('drain')) {
  result.parts.drain = stamp();
  result.idleDrain = await idleDrainBench();
}
writeFileSync(FILE, `${JSON.stringify(result, null, 2)}\n`);
process.stderr.write(
  `bench: results in ${FILE}; \`node bench/report.mjs\` writes BENCHMARKS.md and the chart\n`,
);

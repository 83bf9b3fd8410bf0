#!/usr/bin/env node
// Hot path, counted: the user-space instructions each request costs the server process, for each
// framework bare and with its lameduck adapter, under valgrind's cachegrind (Debian's valgrind).
// CPU time on a shared machine moves by more than 2 % between identical runs; an instruction
// count moves by well under 1 %, so it shows what lameduck adds where the CPU-time bench
// (hot-path.mjs) cannot. What it does not count is the kernel's share of a request (the writev
// and the socket reads, about half of a bare Fastify request's CPU time here): lameduck makes no
// system call per request, so its share of the CPU time is smaller than its share of these.
//
// The method:
//   - each server process runs under `valgrind --tool=cachegrind --cache-sim=no`, with V8
//     single-threaded (no concurrent compiler or GC threads, whose work would land in the count
//     at random), its seeds fixed, and a fixed young generation (16 MB), so that the garbage
//     collector works the same way in every process;
//   - instructions per request = (count after warm-up + N requests - count after the warm-up
//     alone) / N, from two processes started the same way, one after the other: start-up and
//     warm-up cancel out; nothing else runs meanwhile (the count depends a little on how many
//     requests the server finds waiting at each turn of its event loop);
//   - the same raw keep-alive client as the CPU-time bench (16 connections);
//   - rounds, the variants' order alternating from round to round; every figure the median over
//     the rounds, with min–max;
//   - two controls: bare Fastify against bare Fastify (must read about 0) and bare Fastify with a
//     loop of a set number of iterations added to every request (what it adds is the figure);
//     and Express's floor: bare Express with one no-op middleware, what any middleware costs;
//   - each bare framework's user-space share of its CPU time, over the same requests without
//     valgrind (/proc/<pid>/stat): lameduck adds no system call, so the CPU time it adds is
//     estimated as its share of the instructions times that share.
//
//   node bench/hot-instructions.mjs          BENCH_IR_ROUNDS=2 rounds (each about 25 minutes here)
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openClient } from './hot/client.mjs';

const SERVER = join(import.meta.dirname, 'hot', 'server.mjs');
export const FRAMEWORKS = ['express', 'koa', 'fastify', 'nestjs-express', 'nestjs-fastify'];
/**
 * Requests measured and warm-up requests per framework (Express and Nest on Express cost ten
 * times Fastify's). The warm-up must let V8 finish optimising: compiling counts too, and with
 * 3,000 warm-up requests Express's lameduck process was still compiling its path in the window.
 * The window must hold many collections: the young generation fills every 2,000 or so Fastify
 * requests, and where the window's edges fall among them moved 10,000-request counts by about
 * 1 % (a scavenge more or less); Express's windows hold old-generation collections too.
 */
const REQUESTS = {
  express: [20_000, 6000],
  'nestjs-express': [20_000, 6000],
  koa: [100_000, 20_000],
  fastify: [100_000, 20_000],
  'nestjs-fastify': [100_000, 20_000],
};
const V8_FLAGS = [
  '--single-threaded',
  '--hash-seed=1',
  '--random-seed=1',
  '--min-semi-space-size=16',
  '--max-semi-space-size=16',
];
/** Loop iterations the control adds to every request (about 2 % of a bare Fastify request here). */
const CONTROL_ITERATIONS = 100;

const log = (line) => process.stderr.write(`hot instructions: ${line}\n`);
const pct = (x) => `${(x * 100).toFixed(1)} %`;

export function valgrindMissing() {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'valgrind is not installed (Debian: apt-get install valgrind)';
  }
}

function reply(child, msg) {
  return new Promise((resolve, reject) => {
    const on = (m) => {
      if (m?.msg === msg) {
        child.off('message', on);
        resolve(m);
      }
    };
    child.on('message', on);
    child.once('exit', (code) =>
      reject(new Error(`hot instructions: the server exited (${code}) before '${msg}'`)),
    );
  });
}

/** Instructions counted in one server process over `warm` + `count` requests (and its start and exit). */
async function countOnce(framework, variant, warm, count, spinIterations) {
  const dir = mkdtempSync(join(tmpdir(), 'lameduck-ir-'));
  try {
    const child = fork(SERVER, [framework, variant], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, LAMEDUCK_LOG_LEVEL: 'warn' },
      execPath: 'valgrind',
      execArgv: [
        '-q',
        '--tool=cachegrind',
        '--cache-sim=no',
        '--branch-sim=no',
        // V8 writes the machine code it runs: valgrind must see every write to it.
        '--smc-check=all-non-file',
        `--cachegrind-out-file=${join(dir, 'out')}`,
        process.execPath,
        ...V8_FLAGS,
      ],
    });
    // valgrind's notes on the cache it does not simulate are noise; anything else is shown.
    child.stderr.setEncoding('utf8').on('data', (text) => {
      for (const line of text.split('\n'))
        if (line !== '' && !/^--\d+-- warning: .*(LL|L3) cache/.test(line)) process.stderr.write(`${line}\n`);
    });
    const { port } = await reply(child, 'listening');
    if (spinIterations > 0) {
      const set = reply(child, 'spin');
      child.send({ msg: 'spin', iterations: spinIterations });
      await set;
    }
    const client = await openClient(port, 16, `${framework} ${variant}`);
    await client.run(warm, 900_000);
    if (count > 0) await client.run(count, 900_000);
    client.close();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.send('stop');
    await exited;
    const text = readFileSync(join(dir, readdirSync(dir)[0]), 'utf8');
    const summary = /^summary:\s+(\d+)/m.exec(text);
    if (summary === null) throw new Error('hot instructions: cachegrind wrote no summary');
    return Number(summary[1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Instructions per request: two processes, one with the measured requests and one without, one
 * after the other. Run side by side they read bare vs bare at +3.8 %: a count depends on how
 * many requests the server finds waiting at each turn of its event loop, and so on how much CPU
 * its client gets.
 */
async function perRequest(framework, variant, spinIterations = 0) {
  const [count, warm] = REQUESTS[framework];
  const base = await countOnce(framework, variant, warm, 0, spinIterations);
  const full = await countOnce(framework, variant, warm, count, spinIterations);
  return (full - base) / count;
}

/** A process's CPU time so far, in clock ticks: user space and kernel (`/proc/<pid>/stat`). */
function cpuTicks(pid) {
  // After the command name (in parentheses): utime and stime are the 12th and 13th fields.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { user: Number(fields[11]), system: Number(fields[12]) };
}

/**
 * The user-space share of a bare server's CPU time over the same requests, without valgrind.
 * lameduck adds no system call per request, so the instructions it adds are user time only: its
 * share of the CPU time is about its share of the instructions times this.
 */
async function userShare(framework) {
  const [count, warm] = REQUESTS[framework];
  const child = fork(SERVER, [framework, 'bare'], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, LAMEDUCK_LOG_LEVEL: 'warn' },
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const { port } = await reply(child, 'listening');
    const client = await openClient(port, 16, `${framework} bare`);
    await client.run(warm, 900_000);
    const before = cpuTicks(child.pid);
    await client.run(count, 900_000);
    const after = cpuTicks(child.pid);
    client.close();
    const user = after.user - before.user;
    return user / (user + after.system - before.system);
  } finally {
    child.send('stop');
    await exited;
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const summary = (values) => ({
  median: median(values),
  min: Math.min(...values),
  max: Math.max(...values),
  runs: values,
});

export async function hotInstructionsBench(env = process.env) {
  const missing = valgrindMissing();
  if (missing !== undefined) throw new Error(`hot instructions: ${missing}`);
  const rounds = Number(env.BENCH_IR_ROUNDS ?? 2);
  const counts = Object.fromEntries(FRAMEWORKS.map((f) => [f, { bare: [], lameduck: [], userShare: [] }]));
  const controls = { bare: [], second: [], plusWork: [], expressBare: [], expressNoop: [] };
  const started = Date.now();
  for (let round = 0; round < rounds; round += 1) {
    const order = round % 2 === 0 ? ['bare', 'lameduck'] : ['lameduck', 'bare'];
    for (const framework of FRAMEWORKS) {
      for (const variant of order) {
        const value = await perRequest(framework, variant);
        counts[framework][variant].push(value);
        log(
          `round ${round + 1}/${rounds}: ${framework} ${variant} ${Math.round(value)} per request (${Math.round((Date.now() - started) / 1000)} s)`,
        );
      }
    }
    for (const framework of FRAMEWORKS) {
      const share = await userShare(framework);
      counts[framework].userShare.push(share);
      log(`round ${round + 1}/${rounds}: ${framework} bare, user-space share of CPU time ${pct(share)}`);
    }
    // Express's floor: one no-op middleware, against this round's bare Express.
    controls.expressBare.push(counts.express.bare.at(-1));
    const noop = await perRequest('express', 'noop');
    controls.expressNoop.push(noop);
    log(`round ${round + 1}/${rounds}: control express + a no-op middleware ${Math.round(noop)} per request`);
    for (const [name, spin] of round % 2 === 0
      ? [
          ['bare', 0],
          ['second', 0],
          ['plusWork', CONTROL_ITERATIONS],
        ]
      : [
          ['plusWork', CONTROL_ITERATIONS],
          ['second', 0],
          ['bare', 0],
        ]) {
      const value = await perRequest('fastify', 'bare', spin);
      controls[name].push(value);
      log(`round ${round + 1}/${rounds}: control ${name} ${Math.round(value)} per request`);
    }
  }
  const ratio = (a, b) => summary(a.map((x, i) => b[i] / x - 1));
  /** What `measured` adds to `base`, round by round: as a ratio, and in instructions (`added`). */
  const addition = (base, measured) => ({
    ...ratio(base, measured),
    added: summary(measured.map((x, i) => x - base[i])),
  });
  return {
    method: {
      rounds,
      requests: REQUESTS,
      v8Flags: V8_FLAGS,
      connections: 16,
      controlIterations: CONTROL_ITERATIONS,
      seconds: Math.round((Date.now() - started) / 1000),
    },
    frameworks: FRAMEWORKS.map((framework) => {
      const { bare, lameduck, userShare: shares } = counts[framework];
      const { added, ...instructionRatio } = addition(bare, lameduck);
      return {
        framework,
        bare: summary(bare),
        lameduck: summary(lameduck),
        added,
        ratio: instructionRatio,
        userShare: summary(shares),
        // The CPU time lameduck adds, estimated: its instructions are user time only.
        cpuRatio: summary(instructionRatio.runs.map((r, i) => r * shares[i])),
      };
    }),
    controls: {
      bareVsBare: ratio(controls.bare, controls.second),
      expressNoop: addition(controls.expressBare, controls.expressNoop),
      plusWork: addition(controls.bare, controls.plusWork),
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await hotInstructionsBench();
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

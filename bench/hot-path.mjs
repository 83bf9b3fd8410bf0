#!/usr/bin/env node
// Hot path: CPU time per request of the server process for each framework bare and with its
// lameduck adapter (Express, Koa, Fastify, NestJS on Express and on Fastify), built to resolve
// 2 %. The method:
//   - one pair (bare, lameduck) at a time, its two server processes the only ones alive: with
//     every variant's process resident on the server's core, each ran about 1.5 times slower
//     and a control that added 2 % read +5.4 %;
//   - each pair in several fresh sets of processes one after another, every process warmed up
//     before anything is measured (the JIT settles in the first thousands of requests):
//     processes started the same way can differ in speed by more than 2 % (JIT decisions,
//     memory layout), so the ratios are pooled over the sets, and each set's median is shown;
//   - every server started the same way, with address-space randomisation off (`setarch -R`,
//     where it works) and V8's hash and random seeds fixed: two bare Fastify processes started
//     plainly differed by 2.1 % (sd over five fresh pairs), started this way by 0.3 %;
//   - slices sized in CPU time (about 30 ms of the bare server's CPU each, from its warm-up), so
//     that the two IPC round trips that read a server's CPU time are a negligible share of every
//     slice, for Fastify's 16 µs requests as for Express's 130 µs;
//   - the server's own user + system CPU time (process.cpuUsage over IPC) over exactly N
//     requests, never wall time: time the machine spends on other jobs is not counted;
//   - a cheap client (hot/client.mjs) with fixed keep-alive connections, so that on 2 cores the
//     client does not eat the server's core;
//   - pinned CPUs when taskset is there: the client on the first, the servers on the last;
//   - many short blocks: each block measures the pair in 8 slices a side, alternating
//     A B B A A B B A … (B A A B … in the next block), so both variants see the same moments of
//     the machine and each comes as often right after a switch as not; each block gives one
//     paired ratio, the median over its neighbouring slices (a burst of load that hits one
//     slice does not decide it); the pairs' order rotates from set to set;
//   - every figure the median over the blocks with its spread (quartiles, min–max) and a ~95 %
//     interval of the median;
//   - two controls measured the same way: bare vs a second bare process (must show ~0) and bare
//     vs bare + extra work calibrated in CPU time to 2 % of a bare request (must show ~+2 %).
// Progress on stderr. Returns the result; run.mjs writes it.
//
//   BENCH_HOT_SECONDS=600     time budget for the measured blocks, shared equally by the pairs
//                             and sets (each pair's start and warm-up come on top)
//   BENCH_HOT_SLICE_MS=30     CPU ms of the bare server per slice (8 slices a side per block)
//   BENCH_HOT_ROUNDS          a cap on the blocks per pair and set (default: as many as fit)
//   BENCH_HOT_FRAMEWORKS=express,koa   only some frameworks (the controls always run)
//   BENCH_HOT_PROCESS_SETS=4  fresh sets of server processes, each warmed up and given its share
//                             of the budget (one process can be faster than the next one
//                             started the same way: a single pair would decide a ratio)
//   BENCH_HOT_ISOLATE=0       start the servers plainly (ASLR on, random seeds), to compare
import { execFileSync, fork } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { openClient } from './hot/client.mjs';
import { median, summary } from './stats.mjs';

export { median };

const SERVER = join(import.meta.dirname, 'hot', 'server.mjs');
export const FRAMEWORKS = ['express', 'koa', 'fastify', 'nestjs-express', 'nestjs-fastify'];
const CONNECTIONS = 16;
const WARMUP = 30_000;
const WARMUP_SLICES = 6;
const CONTROL_SHARE = 0.02;
const SLICES = 8;

function settings(env = process.env) {
  return {
    seconds: Number(env.BENCH_HOT_SECONDS ?? 600),
    sliceCpuMs: Number(env.BENCH_HOT_SLICE_MS ?? 30),
    maxRounds: Number(env.BENCH_HOT_ROUNDS ?? Number.POSITIVE_INFINITY),
    generations: Number(env.BENCH_HOT_PROCESS_SETS ?? 4),
    frameworks: (env.BENCH_HOT_FRAMEWORKS ?? FRAMEWORKS.join(','))
      .split(',')
      .filter((f) => FRAMEWORKS.includes(f)),
  };
}

/** CPUs for the client and the servers (the last one), or null when pinning is off or impossible. */
function pinning(env = process.env) {
  // cpus(), not availableParallelism(): the latter follows this process's own affinity.
  if (env.BENCH_HOT_PIN === '0' || cpus().length < 2) return null;
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
  } catch {
    return null;
  }
  return { client: 0, server: cpus().length - 1, all: `0-${cpus().length - 1}` };
}

// V8's seeds, fixed: the hash seed decides how strings spread over hash tables, the random seed
// what Math.random() and the heap's randomised choices give.
const SEEDS = ['--hash-seed=1', '--random-seed=1'];

/**
 * How every server process starts: under `setarch -R` (no address-space randomisation, so that
 * the code and heap of every process lie at the same addresses) where that works unprivileged,
 * and with V8's seeds fixed. Null when BENCH_HOT_ISOLATE=0.
 */
function isolation(env = process.env) {
  if (env.BENCH_HOT_ISOLATE === '0') return null;
  let setarch = null;
  try {
    execFileSync('setarch', ['-R', 'true'], { stdio: 'ignore' });
    setarch = 'setarch';
  } catch {
    process.stderr.write('hot path: `setarch -R` does not work here: the servers keep ASLR on\n');
  }
  return { setarch, seeds: SEEDS };
}

/** Pins every thread of a process to CPUs (taskset -a: V8's GC and compiler threads too). */
function pin(pid, cpu) {
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
}

function reply(child, msg) {
  return new Promise((resolve) => {
    const onMessage = (message) => {
      if (message?.msg !== msg) return;
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
  });
}

async function startServer(framework, variant, isolated) {
  // setarch execs node in its own place (same PID, same IPC channel).
  const start =
    isolated === null
      ? {}
      : isolated.setarch === null
        ? { execArgv: isolated.seeds }
        : { execPath: isolated.setarch, execArgv: ['-R', process.execPath, ...isolated.seeds] };
  const child = fork(SERVER, [framework, variant], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, LAMEDUCK_LOG_LEVEL: 'warn' },
    ...start,
  });
  const guard = setTimeout(() => child.kill('SIGKILL'), 60 * 60_000);
  child.once('exit', () => clearTimeout(guard));
  const exited = new Promise((_, reject) =>
    child.once('exit', (code, signal) =>
      reject(new Error(`hot path: ${framework} ${variant} exited (${signal ?? code}) before listening`)),
    ),
  );
  exited.catch(() => {});
  const { port } = await Promise.race([reply(child, 'listening'), exited]);
  const client = await openClient(port, CONNECTIONS, `${framework} ${variant}`);
  return {
    child,
    client,
    async cpuUs() {
      return (await this.usage()).cpuUs;
    },
    /** CPU µs so far, and the median µs of the control's extra work over its last calls. */
    async usage() {
      const answer = reply(child, 'usage');
      child.send('usage');
      return answer;
    },
    stop() {
      client.close();
      if (child.exitCode === null) child.send('stop');
      setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 5000).unref();
    },
  };
}

/** CPU µs and wall seconds of one server over `count` requests. */
async function slice(server, count) {
  const before = await server.cpuUs();
  const seconds = await server.client.run(count);
  return { cpuUs: (await server.cpuUs()) - before, seconds };
}

/**
 * One block of a pair: SLICES slices of `count` requests per variant, the slices alternating
 * A B B A A B B A … (or B A A B … when `bFirst`), so that both variants see the same moments of
 * the machine, and each as often right after a switch as not. Returns each variant's CPU µs per
 * request and requests/s over the block.
 */
async function block(a, b, bFirst, count) {
  // Unmeasured: each process's caches warm again after the other pairs' blocks.
  await a.client.run(count);
  await b.client.run(count);
  const unit = bFirst ? [b, a, a, b] : [a, b, b, a];
  const total = new Map([
    [a, { cpuUs: 0, seconds: 0 }],
    [b, { cpuUs: 0, seconds: 0 }],
  ]);
  const ratios = [];
  for (let i = 0; i < SLICES / 2; i += 1) {
    const cpu = new Map();
    for (const server of unit) {
      const result = await slice(server, count);
      total.get(server).cpuUs += result.cpuUs;
      total.get(server).seconds += result.seconds;
      cpu.set(server, [...(cpu.get(server) ?? []), result.cpuUs]);
    }
    // The neighbouring slices of this A B B A (or B A A B): the 1st and 2nd, the 3rd and 4th.
    for (const k of [0, 1]) ratios.push(cpu.get(b)[k] / cpu.get(a)[k] - 1);
  }
  const sum = (server) => ({
    usPerRequest: total.get(server).cpuUs / (count * SLICES),
    rate: (count * SLICES) / total.get(server).seconds,
  });
  // The block's ratio: the median over its neighbouring slices, so that a burst of load on the
  // machine that hits one slice does not decide it.
  return { a: sum(a), b: sum(b), ratio: median(ratios) };
}

/** The median ratio of each process set: how far one set of processes decides. */
const setMedians = (pair) => pair.sets.filter((ratios) => ratios !== undefined).map(median);

const signed = (x) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;

export async function hotPathBench(env = process.env) {
  const config = settings(env);
  const variants = new Map();
  const variant = (name, framework, kind) => {
    variants.set(name, { name, framework, kind, segments: [] });
    return name;
  };
  const pairs = config.frameworks.map((framework) => ({
    name: framework,
    a: variant(`${framework} bare`, framework, 'bare'),
    b: variant(`${framework} + lameduck`, framework, 'lameduck'),
    ratios: [],
    sets: [],
  }));
  // The controls have processes of their own, so that every process belongs to one pair and is
  // measured exactly as often as its partner (a process measured more often is a warmer one).
  const same = {
    name: 'control: bare vs bare',
    a: variant('control: express bare, first process', 'express', 'bare'),
    b: variant('control: express bare, second process', 'express', 'bare'),
    ratios: [],
    sets: [],
  };
  const base = variant('control: express bare, third process', 'express', 'bare');
  const plus = {
    name: 'control: bare + 2 % work',
    a: base,
    b: variant('control: express bare + 2 % work', 'express', 'bare'),
    ratios: [],
    sets: [],
  };
  pairs.push(same, plus);

  const date = new Date().toISOString();
  const load = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) / 1000);
  process.stderr.write(
    `hot path: ${pairs.length} pairs (${config.frameworks.join(', ')}, controls on express), each measured on its own\n`,
  );
  const cores = pinning(env);
  const isolated = isolation(env);
  const generations = Math.max(1, config.generations);
  // Each pair in each set gets an equal share of the budget.
  const share = (config.seconds * 1000) / (generations * pairs.length);
  const added = [];
  let spinUs = 0;
  let probeUs = 0;
  if (cores) {
    pin(process.pid, cores.client);
    process.stderr.write(
      `hot path: client pinned to CPU ${cores.client}, the servers to CPU ${cores.server}\n`,
    );
  }
  try {
    for (let generation = 0; generation < generations; generation += 1) {
      for (let p = 0; p < pairs.length; p += 1) {
        // The pairs' order rotates from one set to the next.
        const pair = pairs[(p + generation) % pairs.length];
        await measurePair(pair, generation);
      }
    }
  } finally {
    if (cores) pin(process.pid, cores.all);
  }

  /**
   * One pair in one set: its two processes, fresh, are the only servers alive (with every
   * variant's process resident on the server's core, each ran about 1.5 times slower and an
   * added 2 % read as 5 %), warmed up in turn, then measured in blocks for the pair's share.
   */
  async function measurePair(pair, generation) {
    // Which process starts first, and goes first in the warm-up, alternates from set to set: a
    // bare-vs-bare pair read -2.5, -5.1 and -0.6 % in three sets when the first one always did.
    const start = (name) => startServer(variants.get(name).framework, variants.get(name).kind, isolated);
    const bFirst = generation % 2 === 1;
    const first = await start(bFirst ? pair.b : pair.a);
    const second = await start(bFirst ? pair.a : pair.b);
    const [a, b] = bFirst ? [second, first] : [first, second];
    try {
      if (cores) for (const server of [a, b]) pin(server.child.pid, cores.server);
      // Warm-up, in slices taken in turn so that neither is warmer from going last. For the
      // +2 % control, after the second slice, the bare process's CPU per request sets the extra
      // work (2 % of it, calibrated in CPU time inside the other process); the slices after it
      // warm that code too. The last slice sizes the pair's slices from the bare process's CPU.
      let bareUs = 0;
      for (let slice = 0; slice < WARMUP_SLICES; slice += 1) {
        const measured = slice === WARMUP_SLICES - 1 || (slice === 2 && pair === plus);
        if (bFirst) await b.client.run(WARMUP / WARMUP_SLICES);
        const before = measured ? await a.cpuUs() : 0;
        await a.client.run(WARMUP / WARMUP_SLICES);
        if (measured) bareUs = ((await a.cpuUs()) - before) / (WARMUP / WARMUP_SLICES);
        if (slice === 2 && pair === plus) {
          probeUs = bareUs;
          spinUs = probeUs * CONTROL_SHARE;
          const spinReply = reply(b.child, 'spin');
          b.child.send({ msg: 'spin', us: spinUs });
          await spinReply;
        }
        if (!bFirst) await b.client.run(WARMUP / WARMUP_SLICES);
      }
      const count = Math.min(10_000, Math.max(100, Math.round((config.sliceCpuMs * 1000) / bareUs)));
      pair.counts = [...(pair.counts ?? []), count];
      // One block measured and dropped: both processes have served the block pattern once.
      await block(a, b, bFirst, count);
      const measureStart = performance.now();
      const ratios = [];
      while (
        ratios.length < config.maxRounds &&
        (ratios.length < 3 || performance.now() - measureStart < share)
      ) {
        const result = await block(a, b, (ratios.length + generation) % 2 === 1, count);
        variants.get(pair.a).segments.push({ block: ratios.length, generation, ...result.a });
        variants.get(pair.b).segments.push({ block: ratios.length, generation, ...result.b });
        ratios.push(result.ratio);
        pair.ratios.push(result.ratio);
      }
      pair.sets[generation] = ratios;
      if (pair === plus) added.push((await b.usage()).spinMedianUs);
      process.stderr.write(
        `hot path: set ${generation + 1}/${generations}, ${pair.name}: ${signed(median(ratios))} over ${ratios.length} blocks of ${count} requests a slice (bare ${bareUs.toFixed(1)} µs/request${pair === plus ? `, +${spinUs.toFixed(2)} µs of work` : ''}); all sets so far ${signed(median(pair.ratios))} (${elapsed()} s)\n`,
      );
    } finally {
      a.stop();
      b.stop();
    }
  }

  const cpuOf = (name) => summary(variants.get(name).segments.map((s) => s.usPerRequest));
  const rateOf = (name) => summary(variants.get(name).segments.map((s) => s.rate));
  const baseUs = cpuOf(base).median;
  const addedUs = median(added);
  return {
    date,
    load,
    method: {
      rounds: median(pairs.map((pair) => pair.ratios.length / generations)),
      onePairAtATime: true,
      sliceCpuMs: config.sliceCpuMs,
      isolated: isolated && { aslrOff: isolated.setarch !== null, v8Flags: isolated.seeds },
      slices: SLICES,
      warmup: WARMUP,
      pinned: cores && { client: cores.client, server: cores.server },
      connections: CONNECTIONS,
      seconds: elapsed(),
      generations,
    },
    frameworks: pairs
      .filter((pair) => pair !== same && pair !== plus)
      .map((pair) => ({
        framework: pair.name,
        bare: { usPerRequest: cpuOf(pair.a), rate: rateOf(pair.a) },
        lameduck: { usPerRequest: cpuOf(pair.b), rate: rateOf(pair.b) },
        ratio: summary(pair.ratios),
        sets: setMedians(pair),
        requestsPerSlice: median(pair.counts),
      })),
    controls: {
      baseUs,
      spinUs,
      addedUs,
      bareVsBare: { ...summary(same.ratios), sets: setMedians(same) },
      plusWork: { ...summary(plus.ratios), sets: setMedians(plus), expected: addedUs / baseUs },
    },
    samples: {
      ratios: Object.fromEntries(pairs.map((pair) => [pair.name, pair.ratios])),
      segments: Object.fromEntries([...variants.values()].map((v) => [v.name, v.segments])),
    },
  };
}

// `node bench/hot-path.mjs [--json]`: the summary on stdout (or the whole result as JSON).
if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await hotPathBench();
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(result, null, 2));
    process.exit(0);
  }
  const line = (name, r) =>
    `${name}: ${signed(r.median)} (IQR ${signed(r.q1)} … ${signed(r.q3)}; 95 % interval ${signed(r.ciLow)} … ${signed(r.ciHigh)}; ${r.n} blocks; per process set ${r.sets.map(signed).join(', ')})`;
  for (const f of result.frameworks) {
    console.log(
      `${line(`${f.framework}: lameduck vs bare`, { ...f.ratio, sets: f.sets })}; bare ${f.bare.usPerRequest.median.toFixed(1)} µs, lameduck ${f.lameduck.usPerRequest.median.toFixed(1)} µs`,
    );
  }
  console.log(line('control: bare vs bare', result.controls.bareVsBare));
  console.log(
    `${line('control: + 2 % work', result.controls.plusWork)}; expected ${signed(result.controls.plusWork.expected)}`,
  );
}

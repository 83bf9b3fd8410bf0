#!/usr/bin/env node
// Writes BENCHMARKS.md (tables) and bench/results/chart.svg (one chart) from the JSON of a bench
// run: bench/results/bench.json (+ bench/results/rollout.json when the rollout ran on its own,
// + bench/results/examples.json from examples-matrix.mjs).
//   node bench/report.mjs [--results <dir>] [--target <BENCHMARKS.md>]   (defaults: this repo's)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

function option(name) {
  const at = process.argv.indexOf(name);
  return at === -1 ? undefined : process.argv[at + 1];
}
const DIR = resolve(option('--results') ?? join(import.meta.dirname, 'results'));
const bench = JSON.parse(readFileSync(join(DIR, 'bench.json'), 'utf8'));
const rolloutFile = join(DIR, 'rollout.json');
const rollout =
  bench.rollout ?? (existsSync(rolloutFile) ? JSON.parse(readFileSync(rolloutFile, 'utf8')).runs : []);

const START = '<!-- bench/report.mjs: generated from bench/results/*.json, from here -->';
const END = '<!-- bench/report.mjs: to here -->';
const pct = (x) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;
const ms = (x) => (x === null || x === undefined ? '–' : `${Math.round(x)}`);

function rolloutTables() {
  if (rollout.length === 0) return ['(the rollout part did not run)'];
  const balancers = [...new Set(rollout.map((r) => r.lb))];
  const scenarios = [...new Set(rollout.map((r) => r.scenario))];
  const peers = [...new Set(rollout.map((r) => r.peer))];
  const lines = [];
  for (const lb of balancers) {
    lines.push(
      `### --lb ${lb}`,
      '',
      `| peer | ${scenarios.join(' | ')} |`,
      `| --- | ${scenarios.map(() => '---').join(' | ')} |`,
    );
    for (const peer of peers) {
      const cells = scenarios.map((scenario) => {
        const r = rollout.find((run) => run.lb === lb && run.peer === peer && run.scenario === scenario);
        if (r === undefined) return '–';
        if (r.error) return `error: ${r.error.slice(0, 60)}`;
        const idle = r.failures?.idleClose ? ` (${r.failures.idleClose} idle-close)` : '';
        return `${r.failed}/${r.total} failed${idle}; ${r.killed ? 'SIGKILLed' : r.exit} after ${ms(r.exitAfterSigtermMs)} ms`;
      });
      lines.push(`| ${peer} | ${cells.join(' | ')} |`);
    }
    lines.push('');
  }
  return lines;
}

/** `+1.2 % (IQR +0.4 … +2.0 %; 95 % interval +0.8 … +1.6 %)`: a paired ratio and its spread. */
function ratioCell(r) {
  return `${pct(r.median)} (IQR ${pct(r.q1)} … ${pct(r.q3)}; 95 % interval ${pct(r.ciLow)} … ${pct(r.ciHigh)})`;
}
const us = (s) => `${s.median.toFixed(1)} (${s.q1.toFixed(1)}–${s.q3.toFixed(1)})`;
const perSecond = (s) => `${Math.round(s.median)} (${Math.round(s.q1)}–${Math.round(s.q3)})`;

function hotTables() {
  const hot = bench.hotPath;
  if (hot === undefined) return ['(the hot-path part did not run)'];
  if (hot.frameworks === undefined) {
    return [
      "(this run's hot-path results come from an earlier method of the bench; run `BENCH_ONLY=hot npx pnpm@12.4.2 run bench` again)",
    ];
  }
  const { method: m, controls: c } = hot;
  const when = hot.date ? ` This part ran on ${hot.date}, load average at its start ${hot.load}.` : '';
  const bySets = hot.frameworks.every((f) => f.sets !== undefined);
  const setsCell = (sets) => sets.map(pct).join(', ');
  const lines = [
    m.sliceCpuMs === undefined ? earlierMethod(m, when) : currentMethod(m, when),
    '',
    `| framework | bare: CPU µs per request | + lameduck: CPU µs per request | lameduck vs bare, CPU per request (paired) | within 2 % | requests/s bare / lameduck |${bySets ? ' per process set |' : ''}`,
    `| --- | --- | --- | --- | --- | --- |${bySets ? ' --- |' : ''}`,
    ...hot.frameworks.map(
      (f) =>
        `| ${f.framework} | ${us(f.bare.usPerRequest)} | ${us(f.lameduck.usPerRequest)} | ${ratioCell(f.ratio)} | ${f.ratio.median <= 0.02 ? 'yes' : '**no**'} | ${perSecond(f.bare.rate)} / ${perSecond(f.lameduck.rate)} |${bySets ? ` ${setsCell(f.sets)} |` : ''}`,
    ),
    '',
    m.onePairAtATime
      ? 'The controls, pairs measured the same way with processes of their own: bare express against a second bare express process, and bare express against one with extra CPU work in every request (a loop calibrated in CPU time to 2 % of a bare request; what it really cost is timed inside the requests on one call in 64, the median over the last 8,192 timed calls; that sets the expected figure):'
      : m.sliceCpuMs === undefined
        ? 'The controls, measured in the same rounds and the same way, each pair with processes of its own: bare express against a second bare express process, and bare express against one with extra CPU work in every request (a loop calibrated in CPU time to 2 % of a bare request; what it really cost is timed inside the requests, the median over its last 8,192 calls, since on a busy machine it can cost more than in the calibration; that sets the expected figure):'
        : 'The controls, measured in the same rounds and the same way, each pair with processes of its own: bare express against a second bare express process, and bare express against one with extra CPU work in every request (a loop calibrated in CPU time to 2 % of a bare request; what it really cost is timed inside the requests on one call in 64, the median over the last 8,192 timed calls; that sets the expected figure):',
    '',
    `| control | measured (paired) | expected |${c.bareVsBare.sets !== undefined ? ' per process set |' : ''}`,
    `| --- | --- | --- |${c.bareVsBare.sets !== undefined ? ' --- |' : ''}`,
    `| bare vs bare | ${ratioCell(c.bareVsBare)} | ${pct(0)} |${c.bareVsBare.sets !== undefined ? ` ${setsCell(c.bareVsBare.sets)} |` : ''}`,
    `| bare + extra work in every request (set to 2 %: ${c.spinUs.toFixed(2)} µs) | ${ratioCell(c.plusWork)} | ${pct(c.plusWork.expected)} (the work took ${c.addedUs.toFixed(2)} µs per request, the median timed inside the requests, of ${c.baseUs.toFixed(1)} µs) |${c.plusWork.sets !== undefined ? ` ${setsCell(c.plusWork.sets)} |` : ''}`,
  ];
  return [...lines, ...resolution(hot)];
}

function currentMethod(m, when) {
  const how = m.isolated
    ? `${m.isolated.aslrOff ? 'address-space randomisation off (`setarch -R`) and ' : ''}V8's seeds fixed (\`${m.isolated.v8Flags.join(' ')}\`)`
    : undefined;
  const started = how ? `every one started the same way: ${how}` : 'started plainly (BENCH_HOT_ISOLATE=0)';
  const layout = m.onePairAtATime
    ? `Each pair (bare, lameduck) is measured on its own, its two server processes the only ones alive, in ${m.generations} fresh sets of processes one after another (the pairs' order rotating from set to set), each pair and set given an equal share of the time: ${m.rounds} blocks per pair and set (median), ${m.seconds} s in all.${when} ${how ? `Every server process starts the same way: ${how}` : 'Every server process is started plainly (BENCH_HOT_ISOLATE=0)'}; each is warmed up with ${m.warmup.toLocaleString('en')} requests (and one block measured and dropped) before anything counts`
    : `${m.rounds} rounds in ${m.seconds} s.${when} ${m.generations} fresh sets of server processes one after another, each given its share of the time; in each set one server process per variant, ${started}, each warmed up with ${m.warmup.toLocaleString('en')} requests (and one more round measured and dropped) before anything counts`;
  return `${layout}${m.pinned ? `; the servers pinned to CPU ${m.pinned.server}, the client to CPU ${m.pinned.client}` : ''}. The client is a raw keep-alive client (${m.connections} connections, one request outstanding on each) that costs a few µs per request. A block measures the pair in ${m.slices} slices a side, alternating A B B A A B B A … (B A A B … in the next block), each slice about ${m.sliceCpuMs} ms of the bare server's CPU (its request count set from the warm-up), after one unmeasured slice each. CPU time is the server process's own user + system time (\`process.cpuUsage\`) over exactly those requests, so time the machine spends elsewhere is not counted. A block's ratio is the median over its neighbouring slices (lameduck's CPU over bare's, measured a few ms apart); the table shows the median of the blocks' ratios over all sets, their quartiles, a ~95 % interval of that median (order statistics), and the median of each process set. µs and requests/s: median (quartiles) over the blocks.`;
}

function earlierMethod(m, when) {
  return `${m.rounds} rounds in ${m.seconds} s.${when} ${m.generations > 1 ? `${m.generations} fresh sets of server processes one after another, each given its share of the time (processes started the same way differ in speed by more than 2 %: JIT decisions, memory layout; the ratios are pooled over the sets); in each set one server process per variant, kept for the set's share, each warmed up with` : 'One server process per variant, started once and kept for the whole run, each warmed up with'} ${m.warmup.toLocaleString('en')} requests (and one more round measured and dropped) before anything counts${m.pinned ? `; the servers pinned to CPU ${m.pinned.server}, the client to CPU ${m.pinned.client}` : ''}. The client is a raw keep-alive client (${m.connections} connections, one request outstanding on each) that costs a few µs per request. In every round, each pair (bare, lameduck) is measured in one block: ${m.requestsPerBlock.toLocaleString('en')} requests a side in ${m.slices} slices, alternating A B B A A B B A … (B A A B … in the next round), after ${m.preRequests} unmeasured requests each; the pairs' order rotates. CPU time is the server process's own user + system time (\`process.cpuUsage\`) over exactly those requests, so time the machine spends elsewhere is not counted. A block's ratio is the median over its neighbouring slices (lameduck's CPU over bare's, measured a few ms apart); the table shows the median of the blocks' ratios, their quartiles and a ~95 % interval of that median (order statistics). µs and requests/s: median (quartiles) over the blocks.`;
}

/** Whether the controls show that the run resolved 2 %, and what decides even so. */
function resolution(hot) {
  const c = hot.controls;
  const zero = Math.abs(c.bareVsBare.median) <= 0.01;
  const found = Math.abs(c.plusWork.median - c.plusWork.expected) <= 0.01;
  // The error the controls show; an adapter's interval clear of 2 % by more than it still decides.
  const error = Math.max(Math.abs(c.bareVsBare.median), Math.abs(c.plusWork.median - c.plusWork.expected));
  const above = hot.frameworks.filter((f) => f.ratio.ciLow > 0.02 + error).map((f) => f.framework);
  const below = hot.frameworks.filter((f) => f.ratio.ciHigh < 0.02 - error).map((f) => f.framework);
  const decided = [
    ...(above.length > 0 ? [`above 2 % even so: ${above.join(', ')}`] : []),
    ...(below.length > 0 ? [`within 2 % even so: ${below.join(', ')}`] : []),
  ];
  return [
    '',
    `Resolution check of this run: bare vs bare ${pct(c.bareVsBare.median)}, the ${pct(c.plusWork.expected)} control ${pct(c.plusWork.median)} — ${
      zero && found
        ? 'the bench resolved 2 % in this run (bare vs bare within ±1 %, the control within 1 point of what was added)'
        : `the bench did NOT resolve 2 % in this run (bare vs bare must be within ±1 % and the control within 1 point of what was added); the controls' error is ${(error * 100).toFixed(1)} points, so an adapter's figure decides only where its 95 % interval lies clear of +2 % by more than that${decided.length > 0 ? ` (${decided.join('; ')})` : ' (none here)'}`
    }.`,
  ];
}

const count = (x) => Math.round(x).toLocaleString('en');
const share = (x) => `${Math.round(x * 100)} %`;
const spread = (s, format) => `${format(s.median)} (${format(s.min)} … ${format(s.max)})`;

/** The hot path counted in instructions (bench/hot-instructions.mjs), when that part ran. */
function instructionTables() {
  const ir = bench.hotInstructions;
  if (ir === undefined)
    return ['(the instruction-count part did not run: `BENCH_ONLY=instructions npx pnpm@12.4.2 run bench`)'];
  const { method: m, controls: c } = ir;
  const requests = Object.entries(m.requests)
    .map(
      ([framework, [measured, warm]]) =>
        `${framework} ${measured.toLocaleString('en')} after ${warm.toLocaleString('en')}`,
    )
    .join(', ');
  const part = bench.parts?.instructions;
  return [
    `User-space instructions per request of the server process, counted by valgrind's cachegrind: ${m.rounds} round${m.rounds === 1 ? '' : 's'} in ${m.seconds} s${part ? `, on ${part.date}, commit ${part.commit}` : ''}. Per request = (count after the warm-up and N requests − count after the warm-up alone) / N, from two processes started the same way (${requests} requests); V8 single-threaded, seeds and young-generation size fixed (\`${m.v8Flags.join(' ')}\`); the same raw client (${m.connections} keep-alive connections). Median over the rounds (min … max). An instruction count does not move with the machine's load, as CPU time does; it leaves out the kernel's share of a request (the socket writes and reads, about half of a bare Fastify request's CPU time here), and lameduck makes no system call per request, so its share of the CPU time is smaller than its share here.`,
    '',
    '| framework | bare: instructions per request | + lameduck | added by lameduck | lameduck vs bare | bare: user-space share of CPU time | CPU time added, estimated | within 2 % (estimated) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...ir.frameworks.map((f) => {
      const within = (ratio) => (ratio.median <= 0.02 ? 'yes' : '**no**');
      // A run from before the user-space share was measured is judged on its instructions.
      const cpu =
        f.cpuRatio === undefined
          ? `(not measured) | | ${within(f.ratio)} (instructions)`
          : `${spread(f.userShare, share)} | ${spread(f.cpuRatio, pct)} | ${within(f.cpuRatio)}`;
      return `| ${f.framework} | ${spread(f.bare, count)} | ${spread(f.lameduck, count)} | ${spread(f.added, count)} | ${spread(f.ratio, pct)} | ${cpu} |`;
    }),
    '',
    "CPU time added, estimated = lameduck vs bare in instructions × the bare framework's user-space share of its CPU time (the same requests without valgrind, from `/proc/<pid>/stat`). lameduck makes no system call per request, so what it adds is user time; the estimate assumes its instructions take as long each as the framework's.",
    '',
    '| control | measured | what it shows |',
    '| --- | --- | --- |',
    `| bare Fastify vs a second bare process | ${spread(c.bareVsBare, pct)} | the count's own spread |`,
    `| bare Fastify + a loop of ${m.controlIterations} iterations in every request | ${spread(c.plusWork, pct)} (${spread(c.plusWork.added, count)} instructions) | a small, known addition is seen whole |`,
    ...(c.expressNoop === undefined
      ? []
      : [
          `| bare Express + one no-op middleware (\`app.use((req, res, next) => next())\`) | ${spread(c.expressNoop, pct)} (${spread(c.expressNoop.added, count)} instructions) | what any Express middleware costs, lameduck's included |`,
        ]),
  ];
}

function drainTables() {
  const drain = bench.idleDrain;
  if (drain === undefined) return ['(the idle-drain part did not run)'];
  return [
    `${drain.rounds} rounds per size, lameduck and node's own \`server.close()\` + \`closeIdleConnections()\` alternating; both exit through \`process.exit()\` and log nothing; the clients run in a process of their own. Exit: from SIGTERM (drain delay 0, so the listener closes at once) to the process's exit as the bench sees it. In the process: from the server's first SIGTERM listener to its \`exit\` event, and the CPU time it spent meanwhile. Heap: after GC, with the sockets open, minus before, per socket.`,
    '',
    '| idle sockets | lameduck exit ms: median (min–max) | node exit ms: median (min–max) | lameduck / node: median of pairs (min–max) | in the process: lameduck / node ms (ratio) | CPU: lameduck / node ms (ratio) | heap per socket, lameduck / node (bytes) | lameduck tracking per socket |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...drain.results.map(
      (r) =>
        `| ${r.sockets.toLocaleString('en')} | ${ms(r.lameduck.exitMs.median)} (${ms(r.lameduck.exitMs.min)}–${ms(r.lameduck.exitMs.max)}) | ${ms(r.node.exitMs.median)} (${ms(r.node.exitMs.min)}–${ms(r.node.exitMs.max)}) | ${r.exitRatio.toFixed(2)}×${r.exitRatios === undefined ? '' : ` (${Math.min(...r.exitRatios).toFixed(2)}–${Math.max(...r.exitRatios).toFixed(2)})`} | ${ownFigure(r, 'inProcessMs', 'inProcessRatio')} | ${ownFigure(r, 'cpuMs', 'cpuRatio')} | ${Math.round(r.lameduck.heapPerSocket.median)} / ${Math.round(r.node.heapPerSocket.median)} | ${Math.round(r.trackedBytesPerSocket)} B |`,
    ),
  ];
}

/** A figure the server measured itself (absent from runs made before it did). */
function ownFigure(r, key, ratioKey) {
  if (r.lameduck[key] === undefined) return '–';
  return `${ms(r.lameduck[key].median)} / ${ms(r.node[key].median)} (${r[ratioKey].toFixed(2)}×)`;
}

function examplesTable() {
  const file = join(DIR, 'examples.json');
  if (!existsSync(file)) return ['(the examples matrix did not run)'];
  const runs = JSON.parse(readFileSync(file, 'utf8')).runs;
  const scenarios = [...new Set(runs.map((r) => r.scenario))];
  const lines = [
    `| balancer | example | ${scenarios.join(' | ')} |`,
    `| --- | --- | ${scenarios.map(() => '---').join(' | ')} |`,
  ];
  for (const lb of [...new Set(runs.map((r) => r.lb))]) {
    for (const example of [...new Set(runs.map((r) => r.example))]) {
      const cells = scenarios.map((scenario) => {
        const r = runs.find((run) => run.lb === lb && run.example === example && run.scenario === scenario);
        if (r === undefined) return '–';
        if (r.error) return `error: ${r.error.slice(0, 60)}`;
        return `${r.failed}/${r.total} failed${r.idleClose ? ` (${r.idleClose} idle-close)` : ''}; ${r.killed ? 'SIGKILLed' : r.exit}, ${ms(r.exitAfterSigtermMs)} ms`;
      });
      lines.push(`| ${lb} | ${example} | ${cells.join(' | ')} |`);
    }
  }
  return lines;
}

/** One chart: failed requests per peer in the rollout, summed over every balancer, per scenario. */
function chart() {
  const peers = [...new Set(rollout.map((r) => r.peer))];
  const scenarios = [...new Set(rollout.map((r) => r.scenario))];
  const colors = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];
  const totals = peers.map((peer) =>
    scenarios.map((scenario) =>
      rollout
        .filter((r) => r.peer === peer && r.scenario === scenario)
        .reduce((sum, r) => sum + (r.failed ?? 0), 0),
    ),
  );
  const max = Math.max(1, ...totals.flat());
  const rowH = 14;
  const groupH = rowH * scenarios.length + 12;
  const left = 200;
  const width = 760;
  const height = 60 + peers.length * groupH;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    '<title>Failed requests per peer and scenario in the simulated rollout</title>',
    `<text x="10" y="18" font-size="13">Failed requests in one simulated rollout, summed over ${[...new Set(rollout.map((r) => r.lb))].join(', ')}</text>`,
    ...scenarios.map(
      (s, i) =>
        `<rect x="${10 + i * 150}" y="28" width="10" height="10" fill="${colors[i]}"/><text x="${24 + i * 150}" y="37">${s}</text>`,
    ),
  ];
  peers.forEach((peer, p) => {
    const y0 = 50 + p * groupH;
    parts.push(`<text x="10" y="${y0 + (rowH * scenarios.length) / 2 + 4}">${peer}</text>`);
    scenarios.forEach((_, s) => {
      const value = totals[p][s];
      const w = Math.max(1, (value / max) * (width - left - 60));
      parts.push(
        `<rect x="${left}" y="${y0 + s * rowH}" width="${w.toFixed(1)}" height="${rowH - 2}" fill="${colors[s]}"/>`,
      );
      parts.push(`<text x="${left + w + 4}" y="${y0 + s * rowH + 10}">${value}</text>`);
    });
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}

/** When each part ran, when they ran apart (`BENCH_ONLY`). */
function partsLine() {
  const names = {
    rollout: 'rollout',
    hot: 'hot path',
    instructions: 'instruction count',
    drain: 'idle drain',
  };
  const parts = Object.entries(bench.parts ?? {}).filter(([name]) => name in names);
  if (parts.length === 0) return [];
  const each = parts.map(
    ([name, part]) => `${names[name]} ${part.date} on commit ${part.commit} (load average ${part.load})`,
  );
  return ['', `The parts ran one after another: ${each.join('; ')}.`];
}

writeFileSync(join(DIR, 'chart.svg'), chart());
const m = bench.machine ?? {};
const doc = [
  START,
  '## One full bench run: the peers, the examples, the hot path, the idle drain',
  '',
  `One full run of \`npx pnpm@12.4.2 run bench\` (then \`node bench/report.mjs\`, which writes this part and the chart from [bench/results/bench.json](bench/results/bench.json)).`,
  `Machine: ${m.cpus ?? '?'}, ${m.memoryGb ?? '?'} GB, Node ${m.node ?? '?'}, Linux ${m.kernel ?? '?'}; load average at the start ${m.load ?? '?'} — the machine was shared with other jobs during the run, so absolute times are noisy; the comparisons within a table are the point. Date: ${bench.date ?? '?'}.`,
  ...partsLine(),
  '',
  '![failed requests per peer](bench/results/chart.svg)',
  '',
  '## Rollout: lameduck and its peers on every balancer',
  '',
  'The same `lameduck simulate` rollout for each (2 replicas, each PID 1 of its own PID namespace; one pod deleted; grace period 10 s). `steady`: 100 req/s over 8 keep-alive connections, 20 % slow, lag 1 s. `POST + sparse`: 1,000 keep-alive connections each sending a JSON `POST /` after an exponential think time (mean 1.5 s), lag 1 s. `lag > delay`: the endpoint goes 4.5 s after the deletion, later than the 3 s delay. lameduck runs `examples/node-http` with `LAMEDUCK_DRAIN_DELAY_MS=3000`; the peers are in [bench/peers](bench/peers), wired as their READMEs recommend (terminus and lightship with the same 3 s delay; NestJS with `enableShutdownHooks()` on the Express platform). `lameduck, adaptive delay` is the same service with `LAMEDUCK_DRAIN_DELAY_MIN_MS=3000` and the maximum `LAMEDUCK_DRAIN_DELAY_MS=6000` (drain timeout 2 s, so that delay + drain timeout + cleanup 1 s + margin 1 s still fit the 10 s grace period): the delay lasts at least 3 s and then ends once no new traffic came for 1 s, at the latest at 6 s — what lameduck offers for an endpoint lag it cannot know in advance; with a fixed delay, `lag > delay` is a control that must fail. Each cell: failed requests (idle-close races among them), how the pod ended, and when.',
  '',
  ...rolloutTables(),
  '## The examples on the kernel balancer and on nginx',
  '',
  '`node bench/examples-matrix.mjs`: every example with `LAMEDUCK_DRAIN_DELAY_MS=3000`, default lag 1 s and grace period 30 s; `POST + sparse` is 1,000 keep-alive connections, `idle` 100 idle ones.',
  '',
  ...examplesTable(),
  '',
  '## Hot path: CPU time per request, bare framework vs its lameduck adapter',
  '',
  ...hotTables(),
  '',
  '## Hot path, counted: instructions per request, bare framework vs its lameduck adapter',
  '',
  ...instructionTables(),
  '',
  '## Drain of idle keep-alive sockets',
  '',
  ...drainTables(),
  END,
];
// BENCHMARKS.md has other sections too: only the part between the markers is this script's.
const target = resolve(option('--target') ?? join(import.meta.dirname, '..', 'BENCHMARKS.md'));
const current = existsSync(target) ? readFileSync(target, 'utf8') : '# Benchmarks\n';
const generated = doc.join('\n');
const next =
  current.includes(START) && current.includes(END)
    ? current.slice(0, current.indexOf(START)) + generated + current.slice(current.indexOf(END) + END.length)
    : `${current.trimEnd()}\n\n${generated}\n`;
writeFileSync(target, next);
process.stderr.write('report: BENCHMARKS.md and bench/results/chart.svg written\n');

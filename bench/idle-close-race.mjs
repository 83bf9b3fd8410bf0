#!/usr/bin/env node
// The idle-close race, measured over many rollouts: every example on the kernel balancer
// (--lb nftables: established connections keep reaching the terminating pod through conntrack)
// with 1,000 sparse keep-alive connections sending POSTs (exponential think time, mean 1.5 s),
// lameduck as it ships against lameduck closing every idle socket as the listener closes
// (LAMEDUCK_DRAIN_QUIET_MS=0, the rule before the fix), interleaved round by round.
// Writes bench/results/idle-close.json and prints a Markdown table; progress on stderr.
//
//   BENCH_RACE_ROUNDS=5   rounds (each runs every example once per variant)
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { simulate } from 'lameduck';
import { EXAMPLES } from './examples.mjs';
import { median } from './stats.mjs';

const REPO = resolve(import.meta.dirname, '..');
const ROUNDS = Number(process.env.BENCH_RACE_ROUNDS ?? 5);
const VARIANTS = {
  'closed at the listener close': { LAMEDUCK_DRAIN_QUIET_MS: '0' },
  'kept while clients reuse theirs': {},
};

const loadAverage = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const runs = [];
const total = ROUNDS * Object.keys(EXAMPLES).length * Object.keys(VARIANTS).length;
const loadAtStart = loadAverage();
for (let round = 0; round < ROUNDS; round += 1) {
  for (const [example, [entry, env]] of Object.entries(EXAMPLES)) {
    const order = Object.entries(VARIANTS);
    if (round % 2 === 1) order.reverse();
    for (const [variant, variantEnv] of order) {
      const report = await simulate({
        command: [process.execPath, entry],
        cwd: REPO,
        env: { LAMEDUCK_DRAIN_DELAY_MS: '3000', ...env, ...variantEnv },
        lb: 'nftables',
        method: 'POST',
        thinkMs: 1500,
        connections: 1000,
        slowRatio: 0,
      }).catch((error) => ({ error: error.message }));
      const row =
        'error' in report
          ? { round, example, variant, error: report.error.split('\n')[0] }
          : {
              round,
              example,
              variant,
              total: report.requests.total,
              failed: report.requests.failed,
              idleClose: report.requests.failures.idleClose,
              exit: report.pod.signal ?? `code ${report.pod.exitCode}`,
              exitAfterSigtermMs: report.pod.exitAfterSigtermMs,
            };
      runs.push(row);
      process.stderr.write(
        `idle-close ${runs.length}/${total} ${example} · ${variant}: ${row.error ?? `${row.failed} failed of ${row.total} (${row.idleClose} idle-close), ${row.exit}, exit ${row.exitAfterSigtermMs} ms after SIGTERM`}\n`,
      );
    }
  }
}

const summary = Object.keys(VARIANTS).map((variant) => {
  const mine = runs.filter((run) => run.variant === variant && run.error === undefined);
  const exits = mine.map((run) => run.exitAfterSigtermMs);
  return {
    variant,
    runs: mine.length,
    errors: runs.filter((run) => run.variant === variant).length - mine.length,
    requests: mine.reduce((sum, run) => sum + run.total, 0),
    failed: mine.reduce((sum, run) => sum + run.failed, 0),
    idleClose: mine.reduce((sum, run) => sum + run.idleClose, 0),
    runsWithRaces: mine.filter((run) => run.idleClose > 0).length,
    exitMedianMs: median(exits),
    exitMinMs: Math.min(...exits),
    exitMaxMs: Math.max(...exits),
  };
});
const result = {
  date: new Date().toISOString(),
  load: { start: loadAtStart, end: loadAverage() },
  summary,
  runs,
};
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(
  join(import.meta.dirname, 'results', 'idle-close.json'),
  `${JSON.stringify(result, null, 2)}\n`,
);

const lines = [
  '| idle sockets at the listener close | runs | requests | failed | idle-close races | runs with a race | pod exit after SIGTERM, median (min–max) |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...summary.map(
    (row) =>
      `| ${row.variant} | ${row.runs} | ${row.requests} | ${row.failed} | ${row.idleClose} | ${row.runsWithRaces} | ${Math.round(row.exitMedianMs)} ms (${row.exitMinMs}–${row.exitMaxMs}) |`,
  ),
];
console.log(lines.join('\n'));
process.stderr.write(
  `idle-close: load average ${result.load.start} at the start, ${result.load.end} at the end\n`,
);

#!/usr/bin/env node
// The simulator's full matrix on the repo's examples (the CI runs a subset): every example on
// --lb nftables and --lb nginx × {steady, POST + 1,000 sparse connections, idle}. Writes
// bench/results/examples.json; progress on stderr. `node bench/report.mjs` adds its table.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { simulate } from 'lameduck';
import { EXAMPLES } from './examples.mjs';

const REPO = resolve(import.meta.dirname, '..');
const SCENARIOS = {
  steady: {},
  'POST + sparse': { method: 'POST', thinkMs: 1500, connections: 1000, slowRatio: 0 },
  idle: { load: 'idle', connections: 100 },
};
const runs = [];
const total = 2 * Object.keys(EXAMPLES).length * Object.keys(SCENARIOS).length;
for (const lb of ['nftables', 'nginx']) {
  for (const [scenario, settings] of Object.entries(SCENARIOS)) {
    for (const [example, [entry, env]] of Object.entries(EXAMPLES)) {
      const report = await simulate({
        command: [process.execPath, entry],
        cwd: REPO,
        env: { LAMEDUCK_DRAIN_DELAY_MS: '3000', ...env },
        lb,
        ...settings,
      }).catch((error) => ({ error: error.message }));
      const row =
        'error' in report
          ? { lb, scenario, example, error: report.error.split('\n')[0] }
          : {
              lb,
              scenario,
              example,
              total: report.requests.total,
              failed: report.requests.failed,
              idleClose: report.requests.failures.idleClose,
              exit: report.pod.signal ?? `code ${report.pod.exitCode}`,
              exitAfterSigtermMs: report.pod.exitAfterSigtermMs,
              killed: report.pod.killed,
              ok: report.ok,
            };
      runs.push(row);
      process.stderr.write(
        `examples ${runs.length}/${total} ${lb} · ${scenario} · ${example}: ${row.error ?? `${row.failed} failed of ${row.total} (${row.idleClose} idle-close), ${row.exit}, ${row.exitAfterSigtermMs} ms`}\n`,
      );
    }
  }
}
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(
  join(import.meta.dirname, 'results', 'examples.json'),
  `${JSON.stringify({ date: new Date().toISOString(), runs }, null, 2)}\n`,
);

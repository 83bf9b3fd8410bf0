#!/usr/bin/env node
// The rollout table: the same simulated rollout (lameduck simulate) against lameduck and its
// peers, each wired as its README recommends (bench/peers/), on every balancer this machine
// runs × {steady, POST + sparse, lag longer than the delay}. Failed requests, exit time, exit
// code per run. Writes bench/results/rollout.json; progress on stderr.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { simulate } from 'lameduck';

const REPO = resolve(import.meta.dirname, '..');
const OUT = join(import.meta.dirname, 'results');
const DELAY_MS = 3000;

export const PEERS = {
  lameduck: ['examples/node-http/server.js'],
  naive: ['bench/peers/naive.mjs'],
  'server.close()': ['bench/peers/server-close.mjs'],
  terminus: ['bench/peers/terminus.mjs'],
  'http-terminator': ['bench/peers/http-terminator.mjs'],
  stoppable: ['bench/peers/stoppable.mjs'],
  lightship: ['bench/peers/lightship.mjs'],
  'fastify + close-with-grace': ['bench/peers/fastify-close-with-grace.mjs'],
  'nestjs enableShutdownHooks()': ['bench/peers/nestjs-shutdown-hooks.mjs'],
};

const SCENARIOS = {
  steady: { lagMs: 1000 },
  'POST + sparse': { lagMs: 1000, method: 'POST', thinkMs: 1500, connections: 1000, slowRatio: 0 },
  'lag > delay': { lagMs: DELAY_MS + 1500 },
};

function usable(lb) {
  const probes = {
    nftables: [
      'unshare',
      ['--user', '--map-root-user', '--net', '--', 'sh', '-c', 'ip link set lo up && nft list ruleset'],
    ],
    'kube-proxy': [process.execPath, ['-e', '0']],
    haproxy: ['haproxy', ['-v']],
    nginx: ['nginx', ['-v']],
  };
  try {
    execFileSync(probes[lb][0], probes[lb][1], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

export async function rolloutBench({
  balancers = ['nftables', 'kube-proxy', 'haproxy', 'nginx'],
  peers = Object.keys(PEERS),
} = {}) {
  const runs = [];
  const modes = balancers.filter((lb) => {
    const ok = usable(lb);
    if (!ok) process.stderr.write(`rollout: --lb ${lb} cannot run here; skipped\n`);
    return ok;
  });
  const total = modes.length * Object.keys(SCENARIOS).length * peers.length;
  for (const lb of modes) {
    for (const [scenario, settings] of Object.entries(SCENARIOS)) {
      for (const peer of peers) {
        const started = performance.now();
        const report = await simulate({
          command: [process.execPath, ...PEERS[peer]],
          cwd: REPO,
          env: {
            LAMEDUCK_DRAIN_DELAY_MS: String(DELAY_MS),
            LAMEDUCK_DRAIN_TIMEOUT_MS: '3000',
            LAMEDUCK_CLEANUP_TIMEOUT_MS: '1000',
            LAMEDUCK_MARGIN_MS: '1000',
            PEER_DELAY_MS: String(DELAY_MS),
          },
          lb,
          gracePeriodSeconds: 10,
          deleteAfterMs: 1500,
          afterExitMs: 1000,
          ...settings,
        }).catch((error) => ({ error: error.message }));
        const row =
          'error' in report
            ? { lb, scenario, peer, error: report.error.split('\n')[0] }
            : {
                lb,
                scenario,
                peer,
                total: report.requests.total,
                failed: report.requests.failed,
                failures: report.requests.failures,
                exit: report.pod.signal ?? `code ${report.pod.exitCode}`,
                exitAfterSigtermMs: report.pod.exitAfterSigtermMs,
                killed: report.pod.killed,
                ok: report.ok,
              };
        runs.push(row);
        process.stderr.write(
          `rollout ${runs.length}/${total} ${lb} · ${scenario} · ${peer}: ${row.error ?? `${row.failed} failed of ${row.total}, ${row.exit}${row.killed ? ' (SIGKILL)' : ''}, exit ${row.exitAfterSigtermMs} ms after SIGTERM`} (${Math.round((performance.now() - started) / 1000)} s)\n`,
        );
      }
    }
  }
  return runs;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const runs = await rolloutBench();
  mkdirSync(OUT, { recursive: true });
  writeFileSync(
    join(OUT, 'rollout.json'),
    `${JSON.stringify({ date: new Date().toISOString(), runs }, null, 2)}\n`,
  );
}

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

// What every run gets: lameduck's fixed 3 s delay (drain delay + drain timeout + cleanup timeout +
// margin = 3 + 3 + 1 + 1 s, inside the 10 s grace period) and the same delay for the peers that
// have one.
const ENV = {
  LAMEDUCK_DRAIN_DELAY_MS: String(DELAY_MS),
  LAMEDUCK_DRAIN_TIMEOUT_MS: '3000',
  LAMEDUCK_CLEANUP_TIMEOUT_MS: '1000',
  LAMEDUCK_MARGIN_MS: '1000',
  PEER_DELAY_MS: String(DELAY_MS),
};

/** Each peer: its command, and the env it adds to ENV. */
export const PEERS = {
  lameduck: { command: ['examples/node-http/server.js'] },
  // The adaptive delay: never shorter than the same 3 s, then over once no new traffic came for
  // the quiet interval (1 s), at most 6 s; drain timeout 2 s so the budget still fits the grace
  // period: 6 + 2 + 1 + 1 = 10 s (packages/core/src/budget.ts).
  'lameduck, adaptive delay': {
    command: ['examples/node-http/server.js'],
    env: {
      LAMEDUCK_DRAIN_DELAY_MIN_MS: String(DELAY_MS),
      LAMEDUCK_DRAIN_DELAY_MS: '6000',
      LAMEDUCK_DRAIN_TIMEOUT_MS: '2000',
    },
  },
  naive: { command: ['bench/peers/naive.mjs'] },
  'server.close()': { command: ['bench/peers/server-close.mjs'] },
  terminus: { command: ['bench/peers/terminus.mjs'] },
  'http-terminator': { command: ['bench/peers/http-terminator.mjs'] },
  stoppable: { command: ['bench/peers/stoppable.mjs'] },
  lightship: { command: ['bench/peers/lightship.mjs'] },
  'fastify + close-with-grace': { command: ['bench/peers/fastify-close-with-grace.mjs'] },
  'nestjs enableShutdownHooks()': { command: ['bench/peers/nestjs-shutdown-hooks.mjs'] },
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
          command: [process.execPath, ...PEERS[peer].command],
          cwd: REPO,
          env: { ...ENV, ...PEERS[peer].env },
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

// `node bench/rollout.mjs` runs the whole table into bench/results/rollout.json. To check a few
// rows, BENCH_PEERS='lameduck, adaptive delay' BENCH_LBS=kube-proxy,nftables (peers separated by
// `;`, balancers by `,`) print the rows on stdout instead and write nothing.
if (import.meta.url === `file://${process.argv[1]}`) {
  const peers = process.env.BENCH_PEERS?.split(';');
  const balancers = process.env.BENCH_LBS?.split(',');
  const unknown = peers?.filter((peer) => !(peer in PEERS)) ?? [];
  if (unknown.length > 0)
    throw new Error(`unknown peer ${unknown.join(', ')}; peers: ${Object.keys(PEERS).join('; ')}`);
  const runs = await rolloutBench({ ...(peers && { peers }), ...(balancers && { balancers }) });
  if (peers || balancers) {
    console.log(JSON.stringify(runs, null, 2));
  } else {
    mkdirSync(OUT, { recursive: true });
    writeFileSync(
      join(OUT, 'rollout.json'),
      `${JSON.stringify({ date: new Date().toISOString(), runs }, null, 2)}\n`,
    );
  }
}

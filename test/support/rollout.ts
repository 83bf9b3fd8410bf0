import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type BalancerMode, type SimulationOptions, type SimulationReport, simulate } from 'lameduck';

/** The repository root (this file is test/support/rollout.ts). */
export const REPO = resolve(import.meta.dirname, '..', '..');

/** Short on purpose: the suite runs dozens of rollouts on 2 cores. */
export const DRAIN_DELAY_MS = 1500;
export const LAG_MS = 400;
export const LONG_REQUEST_MS = 2500;
/** Slack for upper bounds on a noisy 2-core machine. */
export const EXIT_SLACK_MS = 1500;

export interface ExampleUnderTest {
  readonly name: string;
  /** Entry file relative to the repo. */
  readonly entry: string;
  readonly env: Readonly<Record<string, string>>;
}

/** Every example the suite rolls out. Adding one is one line. */
export const EXAMPLES: readonly ExampleUnderTest[] = [
  { name: 'node-http', entry: 'examples/node-http/server.js', env: {} },
  { name: 'express', entry: 'examples/express/server.js', env: {} },
  { name: 'koa', entry: 'examples/koa/server.js', env: {} },
  { name: 'fastify', entry: 'examples/fastify/server.js', env: {} },
  { name: 'nestjs-express', entry: 'examples/nestjs/dist/main.js', env: { NEST_PLATFORM: 'express' } },
  { name: 'nestjs-fastify', entry: 'examples/nestjs/dist/main.js', env: { NEST_PLATFORM: 'fastify' } },
];

export const NAIVE_SERVER = 'test/fixtures/naive-server.mjs';

export type Scenario = 'steady' | 'long-request' | 'idle';
export const SCENARIOS: readonly Scenario[] = ['steady', 'long-request', 'idle'];

export function entryExists(entry: string): boolean {
  return existsSync(join(REPO, entry));
}

export const HAPROXY_MISSING =
  'haproxy is not installed (Debian/Ubuntu: apt-get install -y haproxy); the HAProxy tests are skipped here and fail under CI.';

/**
 * Whether `haproxy` runs here. When it does not, outside CI, it says so on stderr: every test file that
 * skips HAProxy tests calls this at the top, so the message shows even when that file runs alone.
 */
export function haproxyInstalled(): boolean {
  try {
    execFileSync('haproxy', ['-v'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    if (!process.env.CI) console.warn(HAPROXY_MISSING);
    return false;
  }
}

/** Options of one rollout: the drain delay and lag above, short load phases. */
export function rolloutOptions(
  entry: string,
  env: Readonly<Record<string, string>>,
  lb: BalancerMode,
  scenario: Scenario,
): SimulationOptions {
  return {
    command: [process.execPath, entry],
    cwd: REPO,
    env: { LAMEDUCK_DRAIN_DELAY_MS: String(DRAIN_DELAY_MS), ...env },
    lb,
    // HAProxy learns about the deletion from its health checks only.
    ...(lb === 'kube-proxy' ? { lagMs: LAG_MS } : {}),
    deleteAfterMs: 1000,
    afterExitMs: 500,
    ...(scenario === 'idle' ? { load: 'idle' as const } : {}),
    ...(scenario === 'long-request' ? { longRequestMs: LONG_REQUEST_MS } : {}),
  };
}

export interface ResultRow {
  readonly example: string;
  readonly mode: string;
  readonly scenario: string;
  readonly ok: number;
  readonly failed: number;
  readonly exitCode: string;
  readonly exitAfterSigtermMs: number | null;
  readonly killed: boolean;
}

export function row(example: string, mode: string, scenario: string, report: SimulationReport): ResultRow {
  return {
    example,
    mode,
    scenario,
    ok: report.requests.ok,
    failed: report.requests.failed,
    exitCode: report.pod.signal ?? String(report.pod.exitCode),
    exitAfterSigtermMs: report.pod.exitAfterSigtermMs,
    killed: report.pod.killed,
  };
}

export function table(rows: readonly ResultRow[]): string {
  const lines = [
    '| example | mode | scenario | ok | failed | exit | exit after SIGTERM (ms) | SIGKILL |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.example} | ${r.mode} | ${r.scenario} | ${r.ok} | ${r.failed} | ${r.exitCode} | ${r.exitAfterSigtermMs ?? '-'} | ${r.killed ? 'yes' : 'no'} |`,
    );
  }
  return lines.join('\n');
}

export { simulate };

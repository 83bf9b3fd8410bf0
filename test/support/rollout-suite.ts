import { type BalancerMode, formatReport, type SimulationReport } from 'lameduck';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DRAIN_DELAY_MS,
  EXAMPLES,
  EXIT_SLACK_MS,
  entryExists,
  HAPROXY_MISSING,
  LONG_REQUEST_MS,
  type ResultRow,
  rolloutOptions,
  row,
  SCENARIOS,
  type Scenario,
  simulate,
  table,
} from './rollout.js';

// Every example × {steady load, a request longer than the delay in flight, idle keep-alive
// connections} behind one balancer: no request fails, the pod exits by itself with code 0, soon
// after the drain delay (or the long request). One test file per balancer (rollout.test.ts,
// rollout-haproxy.test.ts), so that the e2e project's two workers share them.

function expectCleanRollout(report: SimulationReport, scenario: Scenario): void {
  const text = formatReport(report);
  expect(report.requests.failed, text).toBe(0);
  expect(report.pod.killed, text).toBe(false);
  expect(report.pod.signal, text).toBeNull();
  expect(report.pod.exitCode, text).toBe(0);
  expect(report.ok, text).toBe(true);
  const exitMs = report.pod.exitAfterSigtermMs ?? Number.NaN;
  if (scenario === 'long-request') {
    // The long request was sent 300 ms before the deletion and must finish first.
    expect(report.longRequest?.ok, text).toBe(true);
    expect(report.longRequest?.durationMs ?? 0, text).toBeGreaterThanOrEqual(LONG_REQUEST_MS);
    // Measured from when the request was sent, not from SIGTERM: the 300 ms head start is a
    // timer that a loaded machine fires late, which would move SIGTERM, not the request.
    const at = (kind: string) => report.timeline.find((event) => event.kind === kind)?.atMs ?? Number.NaN;
    expect(at('exited') - at('long-request-sent'), text).toBeGreaterThanOrEqual(LONG_REQUEST_MS - 100);
    expect(exitMs, text).toBeLessThanOrEqual(LONG_REQUEST_MS + EXIT_SLACK_MS);
  } else {
    expect(exitMs, text).toBeGreaterThanOrEqual(DRAIN_DELAY_MS);
    expect(exitMs, text).toBeLessThanOrEqual(DRAIN_DELAY_MS + EXIT_SLACK_MS);
  }
  if (scenario === 'idle') {
    // One warm-up round before the deletion and one after the exit, nothing in between.
    expect(report.requests.total, text).toBe(2 * report.settings.connections);
    expect(report.requestsDuringTermination.ok + report.requestsDuringTermination.failed, text).toBe(0);
  } else {
    expect(report.requests.total, text).toBeGreaterThan(150);
    expect(report.requestsDuringTermination.ok, text).toBeGreaterThan(50);
  }
}

/**
 * The rollouts of every example behind `mode`. `installed`: whether the balancer runs here (a
 * missing one skips outside CI and fails under CI). LAMEDUCK_ROLLOUT=<mode>,<scenario> defines
 * only that rollout per example (the Node version matrix, scripts/node-matrix.mjs, runs one per
 * example on each version); the others are not skipped: they do not exist in that run.
 */
export function rolloutSuite(mode: BalancerMode, installed = true): void {
  const rows: ResultRow[] = [];
  afterAll(() => {
    console.log(`\nrollout results (${mode})\n${table(rows)}\n`);
  });
  const only = process.env.LAMEDUCK_ROLLOUT?.split(',');
  describe.each(EXAMPLES)('rollout of $name', (example) => {
    for (const scenario of SCENARIOS) {
      if (only && (only[0] !== mode || only[1] !== scenario)) continue;
      it.skipIf(!installed && !process.env.CI)(
        `${mode}, ${scenario}: no failed request, clean exit`,
        async () => {
          expect(entryExists(example.entry), `${example.entry} is missing (build the repo first)`).toBe(true);
          expect(installed, mode === 'haproxy' ? HAPROXY_MISSING : `${mode} is not installed`).toBe(true);
          const report = await simulate(rolloutOptions(example.entry, example.env, mode, scenario));
          rows.push(row(example.name, mode, scenario, report));
          expectCleanRollout(report, scenario);
        },
      );
    }
  });
}

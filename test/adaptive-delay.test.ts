import { formatReport, type SimulationOptions } from 'lameduck';
import { describe, expect, it } from 'vitest';
import { EXIT_SLACK_MS, HAPROXY_MISSING, haproxyInstalled, REPO, simulate } from './support/rollout.js';

// The adaptive drain delay under a simulated rollout: steady keep-alive load, a maximum of 10 s,
// a minimum of 1 s, the default quiet interval (1 s). A fixed 10 s delay exits after ~10 s
// (BENCHMARKS.md); the adaptive pod exits once its traffic has moved, with no failed request.

const haproxy = haproxyInstalled();
const MAX_MS = 10_000;
const MIN_MS = 1000;
const QUIET_MS = 1000;
/** The example's slow requests (the simulator's default): the longest request in flight. */
const SLOW_MS = 300;

const base: SimulationOptions = {
  command: [process.execPath, 'examples/node-http/server.js'],
  cwd: REPO,
  env: { LAMEDUCK_DRAIN_DELAY_MS: String(MAX_MS), LAMEDUCK_DRAIN_DELAY_MIN_MS: String(MIN_MS) },
  slowMs: SLOW_MS,
  deleteAfterMs: 1000,
  afterExitMs: 500,
};

describe('adaptive drain delay under a rollout', () => {
  for (const lb of ['kube-proxy', 'haproxy'] as const) {
    it.skipIf(lb === 'haproxy' && !haproxy && !process.env.CI)(
      `${lb}: lag 1 s, maximum 10 s, minimum 1 s: exits within lag + quiet + longest request + 300 ms, 0 failed`,
      async () => {
        expect(lb === 'kube-proxy' || haproxy, HAPROXY_MISSING).toBe(true);
        const lagMs = 1000;
        const report = await simulate({ ...base, lb, lagMs: lb === 'kube-proxy' ? lagMs : undefined });
        const text = formatReport(report);
        expect(report.ok, text).toBe(true);
        expect(report.requests.failed, text).toBe(0);
        expect(report.pod.exitCode, text).toBe(0);
        // HAProxy stops routing after its health checks; the bound is the same.
        expect(report.pod.exitAfterSigtermMs ?? Number.POSITIVE_INFINITY, text).toBeLessThanOrEqual(
          lagMs + QUIET_MS + SLOW_MS + 300 + EXIT_SLACK_MS,
        );
        expect(report.pod.exitAfterSigtermMs ?? 0, text).toBeGreaterThanOrEqual(MIN_MS);
      },
    );
  }

  it('kube-proxy, lag 3 s (past the minimum) under steady traffic: the delay extends with the traffic, 0 failed', async () => {
    const report = await simulate({ ...base, lb: 'kube-proxy', lagMs: 3000 });
    const text = formatReport(report);
    expect(report.ok, text).toBe(true);
    expect(report.requests.failed, text).toBe(0);
    const closed = report.timeline.find((event) => event.kind === 'listener-closed')?.atMs ?? 0;
    // Traffic kept arriving until the endpoint was removed at 3 s: the listener stayed open.
    expect(closed, text).toBeGreaterThanOrEqual(3000);
    expect(closed, text).toBeLessThan(MAX_MS - 2000);
  });
});

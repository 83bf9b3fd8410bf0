import { formatReport, type SimulationOptions } from 'lameduck';
import { describe, expect, it } from 'vitest';
import {
  DRAIN_DELAY_MS,
  HAPROXY_MISSING,
  haproxyInstalled,
  LAG_MS,
  REPO,
  simulate,
} from './support/rollout.js';

// The kubelet's other paths: preStop sleep, preStop httpGet, a rolling update that starts the
// replacement first (maxUnavailable: 0).

const haproxy = haproxyInstalled();
const base: SimulationOptions = {
  command: [process.execPath, 'examples/node-http/server.js'],
  cwd: REPO,
  env: { LAMEDUCK_DRAIN_DELAY_MS: String(DRAIN_DELAY_MS) },
  lagMs: LAG_MS,
  deleteAfterMs: 1000,
  afterExitMs: 500,
};

const at = (report: { timeline: readonly { kind: string; atMs: number }[] }, kind: string) =>
  report.timeline.find((event) => event.kind === kind)?.atMs ?? Number.NaN;

describe('kubelet paths', () => {
  it('preStop sleep: SIGTERM comes after the sleep, the drain after that, no failure', async () => {
    const report = await simulate({ ...base, preStop: { sleepSeconds: 1 } });
    const text = formatReport(report);
    expect(report.ok, text).toBe(true);
    expect(at(report, 'prestop-started'), text).toBeLessThan(100);
    expect(at(report, 'sigterm'), text).toBeGreaterThanOrEqual(1000);
    expect(report.pod.exitAfterSigtermMs ?? 0, text).toBeGreaterThanOrEqual(DRAIN_DELAY_MS);
    expect(report.pod.exitAfterDeletionMs, text).toBeGreaterThanOrEqual(1000 + DRAIN_DELAY_MS);
  });

  it('preStop httpGet: the hook starts the drain and returns after the delay, then SIGTERM', async () => {
    const report = await simulate({ ...base, preStop: { httpGetPath: '/prestop' } });
    const text = formatReport(report);
    expect(report.ok, text).toBe(true);
    // Readiness flips as soon as the hook starts the drain, long before SIGTERM.
    expect(at(report, 'readiness-failed'), text).toBeLessThan(at(report, 'sigterm'));
    expect(at(report, 'sigterm'), text).toBeGreaterThanOrEqual(DRAIN_DELAY_MS);
    expect(report.pod.exitCode, text).toBe(0);
    expect(report.pod.exitAfterDeletionMs, text).toBeGreaterThanOrEqual(DRAIN_DELAY_MS);
  });

  it('grace period: a pod that outlives it is SIGKILLed and the run fails', async () => {
    const report = await simulate({
      ...base,
      // A drain delay longer than the grace period (the service does not know the budget).
      env: { LAMEDUCK_DRAIN_DELAY_MS: '4000', LAMEDUCK_GRACE_PERIOD_SECONDS: '60' },
      gracePeriodSeconds: 2,
      newConnectionRate: 0,
    });
    const text = formatReport(report);
    expect(report.pod.killed, text).toBe(true);
    expect(report.pod.signal, text).toBe('SIGKILL');
    expect(at(report, 'sigkill'), text).toBeGreaterThanOrEqual(2000);
    expect(report.ok, text).toBe(false);
  });

  for (const lb of ['kube-proxy', 'haproxy'] as const) {
    it.skipIf(lb === 'haproxy' && !haproxy && !process.env.CI)(
      `${lb}: rolling update with the replacement ready first, no failure`,
      async () => {
        expect(lb === 'kube-proxy' || haproxy, HAPROXY_MISSING).toBe(true);
        const report = await simulate({
          ...base,
          lb,
          ...(lb === 'haproxy' ? { lagMs: undefined } : {}),
          replace: true,
        });
        const text = formatReport(report);
        expect(report.ok, text).toBe(true);
        // Ready before the deletion (times are rounded to the millisecond: on a busy machine
        // the deletion may follow in the same one).
        expect(at(report, 'replacement-ready'), text).toBeLessThanOrEqual(0);
        // The replacement took traffic.
        expect(report.balancer.connections['pod-3'] ?? 0, text).toBeGreaterThan(0);
      },
    );
  }
});

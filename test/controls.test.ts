import { formatReport, type SimulationOptions } from 'lameduck';
import { describe, expect, it } from 'vitest';
import {
  HAPROXY_MISSING,
  haproxyInstalled,
  LAG_MS,
  NAIVE_SERVER,
  REPO,
  simulate,
} from './support/rollout.js';

// Controls: setups that must fail, so that the suite can tell a good shutdown from a bad one.

const haproxy = haproxyInstalled();
const base: Partial<SimulationOptions> = { cwd: REPO, deleteAfterMs: 1000, afterExitMs: 500 };

describe('controls that must fail', () => {
  it('a naive server without lameduck (no SIGTERM handler) loses requests behind kube-proxy', async () => {
    const report = await simulate({
      ...base,
      command: [process.execPath, NAIVE_SERVER],
      lb: 'kube-proxy',
      lagMs: LAG_MS,
      // As PID 1 of its container, node without a SIGTERM handler ignores SIGTERM and serves on
      // until the SIGKILL at the grace period; this request is in flight then.
      gracePeriodSeconds: 3,
      longRequestMs: 5000,
    });
    const text = formatReport(report);
    expect(report.requests.failed, text).toBeGreaterThan(0);
    expect(report.ok, text).toBe(false);
    expect(report.pod.signal, text).toBe('SIGKILL');
    expect(report.pod.killed, text).toBe(true);
    expect(report.longRequest?.ok, text).toBe(false);
    expect(report.problems.join('\n'), text).toMatch(
      /as PID 1 a process without a SIGTERM handler ignores SIGTERM/,
    );
  });

  it('a naive server that closes its listener at SIGTERM loses requests and is SIGKILLed', async () => {
    const report = await simulate({
      ...base,
      command: [process.execPath, NAIVE_SERVER],
      env: { NAIVE_SHUTDOWN: 'close' },
      lb: 'kube-proxy',
      lagMs: LAG_MS,
      // Keep-alive clients keep its connections open, and one request outlasts the grace
      // period; do not wait 30 s for the SIGKILL.
      gracePeriodSeconds: 4,
      longRequestMs: 6000,
    });
    const text = formatReport(report);
    expect(report.requests.failed, text).toBeGreaterThan(0);
    expect(report.pod.killed, text).toBe(true);
    expect(report.ok, text).toBe(false);
  });

  it('a lag longer than the drain delay shows refused connections', async () => {
    const report = await simulate({
      ...base,
      command: [process.execPath, 'examples/node-http/server.js'],
      env: { LAMEDUCK_DRAIN_DELAY_MS: '500' },
      lb: 'kube-proxy',
      lagMs: 1500,
    });
    const text = formatReport(report);
    expect(report.requests.failed, text).toBeGreaterThan(0);
    expect(report.balancer.refusedByPod[report.pod.name] ?? 0, text).toBeGreaterThan(0);
    // The pod itself shut down cleanly: the failures are the balancer's lag alone.
    expect(report.pod.exitCode, text).toBe(0);
    expect(report.ok, text).toBe(false);
  });

  it.skipIf(!haproxy && !process.env.CI)('HAProxy: a naive server loses requests', async () => {
    expect(haproxy, HAPROXY_MISSING).toBe(true);
    const report = await simulate({
      ...base,
      command: [process.execPath, NAIVE_SERVER],
      lb: 'haproxy',
      // PID 1 ignores SIGTERM without a handler: SIGKILL at the grace period, the request in flight then fails.
      gracePeriodSeconds: 3,
      longRequestMs: 5000,
    });
    const text = formatReport(report);
    expect(report.requests.failed, text).toBeGreaterThan(0);
    expect(report.ok, text).toBe(false);
  });

  it.skipIf(!haproxy && !process.env.CI)(
    'HAProxy: a drain delay shorter than health-check detection (fall 2 × inter 500) shows 5xx',
    async () => {
      expect(haproxy, HAPROXY_MISSING).toBe(true);
      const report = await simulate({
        ...base,
        command: [process.execPath, 'examples/node-http/server.js'],
        env: { LAMEDUCK_DRAIN_DELAY_MS: '200' },
        lb: 'haproxy',
      });
      const text = formatReport(report);
      expect(report.requests.failed, text).toBeGreaterThan(0);
      expect(report.requests.failures.status5xx, text).toBeGreaterThan(0);
      expect(report.pod.exitCode, text).toBe(0);
      expect(report.ok, text).toBe(false);
    },
  );
});

import { formatReport, type SimulationOptions } from 'lameduck';
import { describe, expect, it } from 'vitest';
import { DRAIN_DELAY_MS, LAG_MS, LONG_REQUEST_MS, NAIVE_SERVER, REPO, simulate } from './support/rollout.js';
import { netnsMissing, nftablesUsable } from './support/tools.js';

// --lb nftables is kube-proxy's nftables mode on the real kernel: these tests read the kernel's
// own counters. After the endpoint is removed, no new connection reaches the deleted pod, while
// the keep-alive connections established before still do (conntrack).

const usable = nftablesUsable();
if (!usable && !process.env.CI) console.warn(netnsMissing());

const base: SimulationOptions = {
  command: [process.execPath, 'examples/node-http/server.js'],
  cwd: REPO,
  env: { LAMEDUCK_DRAIN_DELAY_MS: String(DRAIN_DELAY_MS) },
  lb: 'nftables',
  lagMs: LAG_MS,
  deleteAfterMs: 1000,
  afterExitMs: 500,
};

describe.skipIf(!usable && !process.env.CI)('--lb nftables', () => {
  it('is real: after the removal no new connection reaches the pod, established keep-alive ones still do', async () => {
    expect(usable, netnsMissing()).toBe(true);
    const report = await simulate({ ...base, longRequestMs: LONG_REQUEST_MS, newConnectionRate: 40 });
    const text = formatReport(report);
    expect(report.settings.lb, text).toBe('nftables');
    const removed = report.balancer.afterRemoval[report.pod.name];
    expect(removed, text).toBeDefined();
    // The kernel's counter of the deleted pod's endpoint chain did not move after the removal…
    expect(removed?.newConnections, text).toBe(0);
    // …while other pods got new connections then (the Service kept dispatching)…
    const survivor = report.pod.name === 'pod-1' ? 'pod-2' : 'pod-1';
    expect(report.balancer.connectionsAfterDeletion[survivor] ?? 0, text).toBeGreaterThan(5);
    // …and the connections established before kept carrying answers from the deleted pod.
    expect(removed?.open ?? 0, text).toBeGreaterThan(0);
    expect(removed?.bytesFromPod ?? 0, text).toBeGreaterThan(0);
    expect(report.longRequest?.ok, text).toBe(true);
    expect(report.ok, text).toBe(true);
  });

  it('a lag longer than the drain delay: the kernel still sends new connections to a closed listener, refused', async () => {
    expect(usable, netnsMissing()).toBe(true);
    const report = await simulate({
      ...base,
      env: { LAMEDUCK_DRAIN_DELAY_MS: '300' },
      lagMs: 1500,
      newConnectionRate: 40,
    });
    const text = formatReport(report);
    expect(report.requests.failures.refused, text).toBeGreaterThan(0);
    expect(report.pod.exitCode, text).toBe(0);
    expect(report.ok, text).toBe(false);
  });

  it('a naive server fails behind it too', async () => {
    expect(usable, netnsMissing()).toBe(true);
    const report = await simulate({
      ...base,
      command: [process.execPath, NAIVE_SERVER],
      gracePeriodSeconds: 3,
      longRequestMs: 5000,
    });
    const text = formatReport(report);
    expect(report.requests.failed, text).toBeGreaterThan(0);
    expect(report.ok, text).toBe(false);
  });

  it('KEP-1669: with no ready endpoint left, new connections fall back to the terminating pod while it serves', async () => {
    expect(usable, netnsMissing()).toBe(true);
    // One replica, no replacement: after the lag no endpoint is ready; the pod still serves
    // until its readiness probe fails (lameduck fails it at SIGTERM) and that reaches the rules.
    const report = await simulate({ ...base, replicas: 1 });
    const text = formatReport(report);
    const notes = (report.balancer.notes ?? []).join('\n');
    expect(notes, text).toMatch(/KEP-1669 fallback/);
    expect(
      report.timeline.some((event) => /no serving endpoint left/.test(event.detail)),
      text,
    ).toBe(true);
  });
});

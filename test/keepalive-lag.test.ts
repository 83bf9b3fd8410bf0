import { formatReport } from 'lameduck';
import { describe, expect, it } from 'vitest';
import { DRAIN_DELAY_MS, LAG_MS, LONG_REQUEST_MS, REPO, simulate } from './support/rollout.js';

// Issue 2, as written: "a keep-alive client pool under continuous load (undici, no retries)
// sees zero failed requests across SIGTERM while a TCP balancer in front of two replicas keeps
// sending new connections to the terminating one for a lag shorter than the drain delay, and
// keeps established connections on it (conntrack semantics)."

describe('keep-alive pool across SIGTERM behind a lagging kube-proxy (issue 2)', () => {
  it('zero failed requests while new connections still reach the terminating pod', async () => {
    const report = await simulate({
      command: [process.execPath, 'examples/node-http/server.js'],
      cwd: REPO,
      env: { LAMEDUCK_DRAIN_DELAY_MS: String(DRAIN_DELAY_MS) },
      lb: 'kube-proxy',
      replicas: 2,
      lagMs: LAG_MS,
      connections: 8,
      rate: 100,
      slowRatio: 0.2,
      slowMs: 300,
      // One keep-alive connection carries a request that outlives the endpoint removal.
      longRequestMs: LONG_REQUEST_MS,
      deleteAfterMs: 1000,
      afterExitMs: 500,
    });
    const text = formatReport(report);
    console.log(`\nissue 2 rollout\n${text}\n`);

    // The client saw no failure at all, and the pod left by itself.
    expect(report.requests.failed, text).toBe(0);
    expect(report.requests.total, text).toBeGreaterThan(150);
    expect(report.requestsDuringTermination.ok, text).toBeGreaterThan(50);
    expect(report.pod.killed, text).toBe(false);
    expect(report.pod.exitCode, text).toBe(0);

    // The balancer lagged: it removed the endpoint LAG_MS after the deletion, well before the
    // listener closed, and until then it sent new connections to the terminating pod.
    const at = (kind: string) => report.timeline.find((event) => event.kind === kind)?.atMs ?? Number.NaN;
    expect(at('endpoint-removed'), text).toBeGreaterThanOrEqual(LAG_MS);
    expect(at('listener-closed'), text).toBeGreaterThanOrEqual(DRAIN_DELAY_MS);
    expect(at('endpoint-removed'), text).toBeLessThan(at('listener-closed'));
    const pod = report.pod.name;
    expect(report.balancer.connectionsAfterDeletion[pod] ?? 0, text).toBeGreaterThan(0);

    // Conntrack: the connection established before the removal stayed on the old pod and
    // carried its response afterwards; the pod waited for it before exiting.
    const kept = report.balancer.afterRemoval[pod];
    expect(kept?.open ?? 0, text).toBeGreaterThan(0);
    expect(kept?.bytesFromPod ?? 0, text).toBeGreaterThan(0);
    expect(report.longRequest?.ok, text).toBe(true);
    expect(at('long-request-finished'), text).toBeGreaterThan(at('listener-closed'));
    expect(at('exited'), text).toBeGreaterThanOrEqual(at('long-request-finished'));

    // The server told the pool to move: responses carried Connection: close.
    expect(report.requests.connectionClose, text).toBeGreaterThan(0);
  });
});

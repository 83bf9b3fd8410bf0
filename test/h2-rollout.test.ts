import { formatReport } from 'lameduck';
import { describe, expect, it } from 'vitest';
import { DRAIN_DELAY_MS, LAG_MS, REPO, simulate } from './support/rollout.js';

// HTTP/2 cleartext through an L4 balancer (the user-space kube-proxy stand-in): steady stream
// load with node's http2 client while a replica of the h2c example is deleted. A stream refused
// above a GOAWAY's last stream id is retried on a new connection and counts as retried.

const H2C_SERVER = 'examples/node-http/server-h2c.js';
// h2 gets the same bound as the Done-when of issue 9: exit within the drain delay + 1.5 s.
const EXIT_BOUND_MS = DRAIN_DELAY_MS + 1500;

describe('rollout of the h2c example (node-http/server-h2c.js)', () => {
  it('kube-proxy, steady h2 stream load: no stream fails, exit 0 within the drain delay + 1.5 s', async () => {
    const report = await simulate({
      command: [process.execPath, H2C_SERVER],
      cwd: REPO,
      env: { LAMEDUCK_DRAIN_DELAY_MS: String(DRAIN_DELAY_MS) },
      lb: 'kube-proxy',
      lagMs: LAG_MS,
      protocol: 'h2',
      deleteAfterMs: 1000,
      afterExitMs: 500,
    });
    const text = formatReport(report);
    console.info(`${text}\n`);
    expect(report.requests.failed, text).toBe(0);
    expect(report.requests.total, text).toBeGreaterThan(150);
    expect(report.requestsDuringTermination.ok, text).toBeGreaterThan(50);
    expect([report.pod.exitCode, report.pod.signal, report.pod.killed], text).toEqual([0, null, false]);
    const exitMs = report.pod.exitAfterSigtermMs ?? Number.NaN;
    expect(exitMs, text).toBeGreaterThanOrEqual(DRAIN_DELAY_MS);
    expect(exitMs, text).toBeLessThan(EXIT_BOUND_MS);
    expect(report.ok, text).toBe(true);
  });
});

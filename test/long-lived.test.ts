import { formatReport, type LongLivedStats, type SimulationReport } from 'lameduck';
import { describe, expect, it } from 'vitest';
import { DRAIN_DELAY_MS, EXIT_SLACK_MS, REPO, simulate } from './support/rollout.js';

// WebSockets and SSE streams through a rollout: 1,000 WebSocket clients and 200 SSE readers
// through the kube-proxy balancer (about half on the deleted pod), besides the usual keep-alive
// HTTP load. One run per framework; the numbers are printed. LAMEDUCK_LONG_LIVED=N,M changes
// the counts.

const [WEBSOCKETS = 1000, SSE_STREAMS = 200] = (process.env.LAMEDUCK_LONG_LIVED ?? '1000,200')
  .split(',')
  .map(Number);
/** lameduck's default close window. */
const CLOSE_WINDOW_MS = 1000;

const FRAMEWORKS = [
  { name: 'node-http', entry: 'examples/node-http/server.js', env: {}, socketIo: false },
  { name: 'express', entry: 'examples/express/server.js', env: {}, socketIo: false },
  { name: 'koa', entry: 'examples/koa/server.js', env: {}, socketIo: false },
  { name: 'fastify (@fastify/websocket)', entry: 'examples/fastify/server.js', env: {}, socketIo: false },
  {
    name: 'nestjs (WsAdapter)',
    entry: 'examples/nestjs/dist/main.js',
    env: { NEST_PLATFORM: 'express' },
    socketIo: false,
  },
  {
    name: 'nestjs (IoAdapter, socket.io)',
    entry: 'examples/nestjs/dist/main.js',
    env: { NEST_PLATFORM: 'express', NEST_WEBSOCKETS: 'socket.io' },
    socketIo: true,
  },
] as const;

function numbers(name: string, report: SimulationReport): string {
  const part = (label: string, stats: LongLivedStats | undefined) =>
    stats === undefined
      ? ''
      : `${label}: ${stats.endedOnDeletedPod} ended by the pod (${Object.entries(stats.endings)
          .map(([how, n]) => `${how} ${n}`)
          .join(
            ', ',
          )}), ${stats.abnormal} abnormal, ${stats.reconnectedElsewhere} reconnected elsewhere (p50 ${stats.reconnectDelayMs.p50} ms, max ${stats.reconnectDelayMs.max} ms)`;
  return [
    `${name}: exit ${report.pod.exitCode} ${report.pod.exitAfterSigtermMs} ms after SIGTERM; HTTP ${report.requests.ok} ok ${report.requests.failed} failed`,
    part('  WebSockets', report.longLived?.webSockets),
    part('  SSE', report.longLived?.sseStreams),
  ].join('\n');
}

describe('WebSockets and SSE through a rollout (kube-proxy)', () => {
  it.each(FRAMEWORKS)(
    '$name: 0 abnormal closures, every client of the deleted pod reconnects to the other one, exit 0',
    async (framework) => {
      const report = await simulate({
        command: [process.execPath, framework.entry],
        cwd: REPO,
        // The user-space balancer tells which pod each client's connection went to at once.
        lb: 'kube-proxy',
        env: { LAMEDUCK_DRAIN_DELAY_MS: String(DRAIN_DELAY_MS), ...framework.env },
        lagMs: 1000,
        deleteAfterMs: 1000,
        afterExitMs: 500,
        webSockets: WEBSOCKETS,
        socketIo: framework.socketIo,
        sseStreams: SSE_STREAMS,
      });
      const text = formatReport(report);
      console.info(numbers(framework.name, report));
      expect(report.ok, text).toBe(true);
      expect(report.pod.exitCode, text).toBe(0);
      expect(report.pod.killed, text).toBe(false);
      // The issue asks for delay + close window + 500 ms; the bound here has slack for a busy CI machine.
      expect(report.pod.exitAfterSigtermMs, text).toBeLessThan(
        DRAIN_DELAY_MS + CLOSE_WINDOW_MS + 500 + EXIT_SLACK_MS,
      );
      const ws = report.longLived?.webSockets;
      const sse = report.longLived?.sseStreams;
      for (const stats of [ws, sse]) {
        expect(stats?.abnormal, text).toBe(0);
        expect(stats?.endedOnDeletedPod, text).toBeGreaterThan(0);
        expect(stats?.reconnectedElsewhere, text).toBe(stats?.endedOnDeletedPod);
        expect(stats?.reconnectedToDeletedPod, text).toBe(0);
      }
      const clean = framework.socketIo ? 'transport close 1005' : '1001';
      expect(ws?.endings, text).toEqual({ [clean]: ws?.endedOnDeletedPod });
      expect(sse?.endings, text).toEqual({ end: sse?.endedOnDeletedPod });
    },
  );

  it('control: plain server.close() without lameduck cuts WebSockets (1006) and streams, and ends only at the grace period (SIGKILL)', async () => {
    const report = await simulate({
      command: [process.execPath, 'test/fixtures/naive-long-lived-server.mjs'],
      cwd: REPO,
      lb: 'kube-proxy',
      lagMs: 1000,
      deleteAfterMs: 1000,
      afterExitMs: 500,
      gracePeriodSeconds: 3,
      webSockets: 100,
      sseStreams: 20,
      rate: 20,
    });
    const text = formatReport(report);
    console.info(numbers('control (server.close(), no lameduck)', report));
    expect(report.ok, text).toBe(false);
    expect(report.pod.killed, text).toBe(true);
    expect(report.pod.exitAfterDeletionMs, text).toBeGreaterThanOrEqual(2900);
    const ws = report.longLived?.webSockets;
    const sse = report.longLived?.sseStreams;
    expect(ws?.endings['1006'], text).toBe(ws?.endedOnDeletedPod);
    expect(ws?.abnormal, text).toBeGreaterThan(0);
    expect(sse?.abnormal, text).toBe(sse?.endedOnDeletedPod);
    expect(sse?.abnormal, text).toBeGreaterThan(0);
  });
});

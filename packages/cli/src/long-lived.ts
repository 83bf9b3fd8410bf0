import type { Balancer } from './balancer.js';
import type { LongLivedLoad } from './load-long-lived.js';
import { socketIoLoad } from './load-socketio.js';
import { eventStreamLoad } from './load-sse.js';
import { webSocketLoad } from './load-ws.js';
import { sleep } from './net-util.js';
import type { ResolvedSimulation } from './options.js';
import { plural } from './plural.js';
import type { LongLivedStats, SimulationReport } from './types.js';

type Kind = 'webSockets' | 'sseStreams';
const LABELS: Record<Kind, string> = { webSockets: 'WebSockets', sseStreams: 'SSE streams' };

/** How long, after the pod exited, clients it had get to reconnect before the report. */
const RECONNECT_WAIT_MS = 10_000;

/** The WebSocket and SSE clients of a run (none unless `--websockets` / `--sse` asked). */
export class LongLivedClients {
  private readonly loads = new Map<Kind, LongLivedLoad>();

  constructor(settings: ResolvedSimulation, front: Balancer) {
    const base = { host: front.host, port: front.port, podOf: (port: number) => front.podOf(port) };
    const webSockets = settings.socketIo ? socketIoLoad : webSocketLoad;
    if (settings.webSockets > 0)
      this.loads.set('webSockets', webSockets({ ...base, clients: settings.webSockets }));
    if (settings.sseStreams > 0)
      this.loads.set('sseStreams', eventStreamLoad({ ...base, clients: settings.sseStreams }));
  }

  get description(): string {
    return [...this.loads.values()].map((load) => load.description).join('; ');
  }

  get any(): boolean {
    return this.loads.size > 0;
  }

  async open(): Promise<void> {
    await Promise.all([...this.loads.values()].map((load) => load.open()));
  }

  /** Waits (bounded) until every client that was on `deletedPod` has reconnected elsewhere. */
  async settle(deletedPod: string): Promise<void> {
    const startedAt = performance.now();
    while (performance.now() - startedAt < RECONNECT_WAIT_MS) {
      const pending = [...this.loads.values()].some((load) => {
        const stats = load.stats(deletedPod);
        return stats.reconnectedElsewhere < stats.endedOnDeletedPod;
      });
      if (!pending) return;
      await sleep(100);
    }
  }

  stats(deletedPod: string): NonNullable<SimulationReport['longLived']> {
    return Object.fromEntries([...this.loads].map(([kind, load]) => [kind, load.stats(deletedPod)]));
  }

  async close(): Promise<void> {
    await Promise.all([...this.loads.values()].map((load) => load.close()));
  }
}

/** The report's problems for the long-lived clients: abnormal ends, clients that did not move. */
export function longLivedProblems(longLived: SimulationReport['longLived'], deletedPod: string): string[] {
  const problems: string[] = [];
  for (const [kind, stats] of Object.entries(longLived ?? {}) as [Kind, LongLivedStats][]) {
    const label = LABELS[kind];
    if (stats.abnormal > 0) {
      problems.push(
        `${stats.abnormal} ${label} ended abnormally (${endings(stats)}): clients saw no close frame or clean end`,
      );
    }
    if (stats.reconnectedElsewhere < stats.endedOnDeletedPod) {
      problems.push(
        `${stats.reconnectedElsewhere} of the ${stats.endedOnDeletedPod} ${label} that ${deletedPod} ended reconnected to another pod`,
      );
    }
    if (stats.failedAttempts > 0)
      problems.push(`${plural(stats.failedAttempts, 'connection attempt')} of the ${label} failed`);
  }
  return problems;
}

function endings(stats: LongLivedStats): string {
  return Object.entries(stats.endings)
    .map(([how, count]) => `${how} ${count}`)
    .join(' · ');
}

/** The report's lines for the long-lived clients. */
export function formatLongLived(report: SimulationReport): string[] {
  const lines: string[] = [];
  for (const [kind, stats] of Object.entries(report.longLived ?? {}) as [Kind, LongLivedStats][]) {
    lines.push(
      `${LABELS[kind]}  ${stats.clients} clients; ${stats.endedOnDeletedPod} ended by ${report.pod.name} (${endings(stats) || 'none'}); ${stats.abnormal} abnormal`,
      `  reconnected to another pod ${stats.reconnectedElsewhere} of ${stats.endedOnDeletedPod} · back to ${report.pod.name} ${stats.reconnectedToDeletedPod} · delay ms p50 ${stats.reconnectDelayMs.p50} · max ${stats.reconnectDelayMs.max} · failed attempts ${stats.failedAttempts}`,
    );
  }
  return lines;
}

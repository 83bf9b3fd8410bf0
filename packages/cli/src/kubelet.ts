import * as net from 'node:net';
import { httpGet, runAt, sleep } from './net-util.js';
import { plural } from './plural.js';
import { describeExit, type ExitInfo, type Replica, type ReplicaProcess } from './replicas.js';
import type { Timeline } from './timeline.js';
import type { PreStop } from './types.js';

/** After a preStop that overran the grace period, the kubelet still gives SIGTERM this long. */
const PRESTOP_OVERRUN_EXTRA_MS = 2000;
const PROBE_PERIOD_MS = 100;
const LISTENER_PERIOD_MS = 20;

export interface PodTermination {
  readonly exit: ExitInfo;
  readonly killed: boolean;
  /** `performance.now()` when SIGTERM was sent, if it was. */
  readonly sigtermAt: number | undefined;
  /** The process that got SIGTERM (the replica's PID 1), as it was named then. */
  readonly sigtermTo:
    | { readonly pid: number; readonly name: string; readonly commandLine: string }
    | undefined;
  /** Processes still in the replica when PID 1 exited: the runtime killed them with it. */
  readonly leftBehind: readonly ReplicaProcess[];
}

/** How often the replica's processes are listed during the termination. */
const PROCESS_WATCH_MS = 25;

/**
 * Deletes a pod the way the kubelet does: preStop (sleep or httpGet), then SIGTERM to the
 * process itself, then SIGKILL once the grace period, counted from the deletion and including
 * the preStop, has run out.
 */
export async function terminatePod(
  pod: Replica,
  options: {
    preStop: PreStop | undefined;
    /** Sent as `Authorization: Bearer <token>` by a preStop httpGet (its httpHeaders). */
    preStopToken?: string | undefined;
    gracePeriodSeconds: number;
    timeline: Timeline;
    deletedAt: number;
  },
): Promise<PodTermination> {
  const { timeline, deletedAt } = options;
  pod.watchProcesses(PROCESS_WATCH_MS);
  let killAt = deletedAt + options.gracePeriodSeconds * 1000;
  let killed = false;
  let sigtermAt: number | undefined;
  let cancelKill: () => void = () => {};
  const armKill = () => {
    cancelKill();
    cancelKill = runAt(killAt, () => {
      if (!pod.running) return;
      killed = true;
      timeline.mark('sigkill', `grace period of ${options.gracePeriodSeconds} s ran out`);
      pod.signal('SIGKILL');
    });
  };
  armKill();

  const preStop = options.preStop;
  if (preStop !== undefined) {
    const budgetMs = Math.max(0, killAt - performance.now());
    if ('sleepSeconds' in preStop) {
      timeline.mark('prestop-started', `sleep ${preStop.sleepSeconds} s`);
      await Promise.race([sleep(Math.min(preStop.sleepSeconds * 1000, budgetMs)), pod.exited]);
      timeline.mark('prestop-finished', pod.running ? '' : 'the pod exited during preStop');
    } else {
      timeline.mark('prestop-started', `httpGet ${preStop.httpGetPath}`);
      const headers: Record<string, string> =
        options.preStopToken === undefined ? {} : { authorization: `Bearer ${options.preStopToken}` };
      const answer = await httpGet(pod.port, preStop.httpGetPath, Math.max(1, budgetMs), headers, pod.host);
      timeline.mark(
        'prestop-finished',
        answer.status !== undefined ? `HTTP ${answer.status}` : `${answer.error}`,
      );
    }
    if (performance.now() >= killAt && pod.running) {
      killAt = performance.now() + PRESTOP_OVERRUN_EXTRA_MS;
      armKill();
    }
  }

  let sigtermTo: PodTermination['sigtermTo'];
  if (pod.running && !killed) {
    sigtermTo = { pid: pod.pid, ...pod.describePid1() };
    const target = pod.isolation === 'pid-namespace' ? 'PID 1' : 'the command';
    sigtermAt = timeline.mark('sigterm', `to ${target}: ${sigtermTo.name || '?'} (host pid ${pod.pid})`);
    pod.signal('SIGTERM');
  }
  const exit = await pod.exited;
  cancelKill();
  const leftBehind = pod.leftBehind();
  const afterSigterm = sigtermAt === undefined ? '' : `, ${Math.round(exit.at - sigtermAt)} ms after SIGTERM`;
  const left =
    leftBehind.length === 0
      ? ''
      : `; ${plural(leftBehind.length, 'process', 'processes')} still in the pod killed with it (${leftBehind.map((p) => p.name).join(', ')})`;
  timeline.mark('exited', `${describeExit(exit)}${afterSigterm}${left}`);
  return { exit, killed, sigtermAt, sigtermTo, leftBehind };
}

/**
 * The kubelet's readiness prober, made fine-grained: from the deletion to the exit it probes
 * the readiness path every 100 ms over a new connection and marks the first failed answer; a
 * TCP connect every 20 ms marks the moment the listener closed (the first refused connection).
 */
export function watchReadiness(
  pod: Replica,
  path: string,
  timeline: Timeline,
  onFailed: (at: number) => void = () => {},
): () => void {
  let stopped = false;
  const active = () => !stopped && pod.running;
  void (async () => {
    while (active()) {
      const answer = await httpGet(pod.port, path, 1000, {}, pod.host);
      if (!active()) break;
      if (answer.status !== undefined && answer.status !== 200) {
        onFailed(timeline.mark('readiness-failed', `prober saw HTTP ${answer.status}`));
        break;
      }
      await sleep(PROBE_PERIOD_MS);
    }
  })();
  void (async () => {
    while (active()) {
      const refused = await connectRefused(pod.host, pod.port);
      if (!active()) break;
      if (refused) {
        timeline.mark('listener-closed', 'new connections refused');
        break;
      }
      await sleep(LISTENER_PERIOD_MS);
    }
  })();
  return () => {
    stopped = true;
  };
}

/** Opens and at once ends one TCP connection; true when it was refused. */
function connectRefused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.end();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

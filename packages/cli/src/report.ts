import type { PodTermination } from './kubelet.js';
import { formatLongLived } from './long-lived.js';
import type { ResolvedSimulation } from './options.js';
import { plural } from './plural.js';
import type { Replica } from './replicas.js';
import { type RequestRecord, summarizeRequests } from './requests.js';
import type { Timeline } from './timeline.js';
import {
  type BalancerStats,
  FAILURE_CLASSES,
  type FailureClass,
  type LongRequestOutcome,
  type PodOutcome,
  type RequestStats,
  type SimulationReport,
  type TimelineEvent,
  type TimelineKind,
} from './types.js';

const FAILURE_LABELS: Readonly<Record<FailureClass, string>> = {
  refused: 'refused',
  reset: 'reset',
  closed: 'hang-up/closed',
  idleClose: 'idle-close race',
  status5xx: '5xx from the app',
  balancer5xx: '5xx from the balancer',
  timeout: 'timeout',
  other: 'other',
};

const EVENT_LABELS: Readonly<Record<TimelineKind, string>> = {
  'replacement-started': 'replacement started',
  'replacement-ready': 'replacement ready',
  'long-request-sent': 'long request sent',
  deleted: 'pod deleted',
  'prestop-started': 'preStop started',
  'prestop-finished': 'preStop finished',
  sigterm: 'SIGTERM',
  'readiness-failed': 'readiness failing',
  'balancer-marked-down': 'balancer marked it down',
  'endpoint-removed': 'endpoint removed',
  'listener-closed': 'listener closed',
  'long-request-finished': 'long request finished',
  sigkill: 'SIGKILL',
  exited: 'exited',
};

export interface ReportInput {
  readonly settings: ResolvedSimulation;
  /** The slow route the run used, or null when the service had none. */
  readonly slowPath: string | null;
  /** Every request, the long one included. */
  readonly records: readonly RequestRecord[];
  readonly longRecord: RequestRecord | undefined;
  readonly pod: Replica;
  readonly termination: PodTermination;
  /** `performance.now()` of the deletion and of the start of the run. */
  readonly deletedAt: number;
  readonly startedAt: number;
  readonly balancer: BalancerStats;
  readonly timeline: Timeline;
  /** Processes killed at the end of the run. */
  readonly killedAtEnd: number;
}

/** Builds the report from what one run recorded. */
export function assembleReport(input: ReportInput): SimulationReport {
  const { settings, records, longRecord, termination, deletedAt } = input;
  const exitAt = termination.exit.at;
  const during = records.filter((record) => record.startedAt >= deletedAt && record.startedAt <= exitAt);
  // A reused idle connection closed under a request is the idle-close race only when the server
  // closed it on purpose; when the pod was killed or died of a signal, it is that death.
  const died = termination.killed || termination.exit.signal !== null;
  const requests = summarizeRequests(
    died
      ? records.map((record) =>
          record.failure === 'idleClose' ? { ...record, failure: 'closed' as const } : record,
        )
      : records,
  );
  const longRequest: LongRequestOutcome | null =
    longRecord === undefined
      ? null
      : {
          ms: settings.longRequestMs ?? 0,
          ok: longRecord.failure === undefined,
          durationMs: Math.round(longRecord.durationMs),
          ...(longRecord.failure === undefined
            ? {}
            : { failure: longRecord.failure, error: longRecord.error }),
        };
  const pod: PodOutcome = {
    name: input.pod.name,
    pid: input.pod.pid,
    port: input.pod.port,
    exitCode: termination.exit.code,
    signal: termination.exit.signal,
    killed: termination.killed,
    exitAfterSigtermMs:
      termination.sigtermAt === undefined ? null : Math.round(exitAt - termination.sigtermAt),
    exitAfterDeletionMs: Math.round(exitAt - deletedAt),
    isolation: input.pod.isolation,
    sigtermTo: termination.sigtermTo ?? null,
    leftBehind: termination.leftBehind.map((process) => process.name),
  };
  const problems = buildProblems(requests, pod, longRequest);
  const hint = requests.failed > 0 ? earlyCloseHint(pod.name, input.timeline.events()) : undefined;
  if (hint !== undefined) problems.push(hint);
  const preStop = settings.preStop;
  return {
    ok: problems.length === 0,
    problems,
    command: settings.command,
    settings: {
      lb: settings.lb,
      lbNote: settings.lbNote ?? null,
      replicas: settings.replicas,
      lagMs: settings.lagMs,
      gracePeriodSeconds: settings.gracePeriodSeconds,
      preStop:
        preStop === undefined
          ? 'none'
          : 'sleepSeconds' in preStop
            ? `sleep ${preStop.sleepSeconds} s`
            : `httpGet ${preStop.httpGetPath}`,
      replace: settings.replace,
      load: settings.load,
      protocol: settings.protocol,
      connections: settings.connections,
      rate: settings.load === 'idle' ? 0 : settings.rate,
      newConnectionRate: settings.load === 'idle' ? 0 : settings.newConnectionRate,
      slowRatio: settings.slowRatio,
      slowMs: settings.slowMs,
      slowPath: input.slowPath,
      method: settings.method,
      thinkMs: settings.thinkMs,
      longRequestMs: settings.longRequestMs,
    },
    timeline: input.timeline.events(),
    requests,
    requestsDuringTermination: {
      ok: during.filter((record) => record.failure === undefined).length,
      failed: during.filter((record) => record.failure !== undefined).length,
    },
    pod,
    longRequest,
    balancer: input.balancer,
    processesKilledAtEnd: input.killedAtEnd,
    durationMs: Math.round(performance.now() - input.startedAt),
  };
}

/** Why a run failed, in words a user can act on. Empty when it passed. */
export function buildProblems(
  requests: RequestStats,
  pod: Pick<PodOutcome, 'killed' | 'name'> &
    Partial<Pick<PodOutcome, 'signal' | 'sigtermTo' | 'leftBehind' | 'isolation'>>,
  longRequest: LongRequestOutcome | null,
): string[] {
  const problems: string[] = [];
  if (requests.failed > 0) {
    problems.push(
      `${requests.failed} of ${plural(requests.total, 'request')} failed (${failureBreakdown(requests)})`,
    );
  }
  if (requests.failures.idleClose > 0) problems.push(idleCloseHint(pod.name));
  if (pod.killed) {
    problems.push(`${pod.name} did not exit within the grace period and was killed with SIGKILL`);
  } else if (pod.signal !== undefined && pod.signal !== null) {
    problems.push(`${pod.name} did not exit by itself: its PID 1 died of ${pod.signal}`);
  }
  const killedNode = (pod.leftBehind ?? []).filter((name) => isNode(name));
  if (killedNode.length > 0) {
    problems.push(
      `${plural(killedNode.length, 'node process', 'node processes')} ${killedNode.length === 1 ? 'was' : 'were'} still running in ${pod.name} when its PID 1 exited, and were killed with it (a container runtime does the same, mid-request)`,
    );
  }
  if (longRequest !== null && !longRequest.ok) {
    problems.push(
      `the ${longRequest.ms} ms request in flight at SIGTERM failed (${longRequest.error ?? longRequest.failure})`,
    );
  }
  const cause = problems.length === 0 ? undefined : signalCause(pod);
  if (cause !== undefined) problems.push(cause);
  return problems;
}

/** What the idle-close race is and what avoids it. */
function idleCloseHint(podName: string): string {
  return `idle-close race: ${podName} closed idle keep-alive connections while their clients were still using them, and a request sent at that moment was lost (no client resends a request it has sent; a POST is never retried). lameduck closes idle connections only once clients have stopped reusing theirs (unless LAMEDUCK_DRAIN_QUIET_MS is 0), but a pooled spare connection can still be picked just then: a client or balancer that retries idempotent requests on a new connection covers that`;
}

/** Whether a process name is node's (`node`, `node20`, `nodejs`). */
function isNode(name: string): boolean {
  return /^node(js)?\d*$/.test(name);
}

/** The likely cause when the process that got SIGTERM was not node, or node ignored it as PID 1. */
function signalCause(
  pod: Partial<Pick<PodOutcome, 'killed' | 'sigtermTo' | 'isolation'>>,
): string | undefined {
  const target = pod.sigtermTo;
  if (target === undefined || target === null) return undefined;
  if (!isNode(target.name)) {
    return `likely cause: the process that got SIGTERM was \`${target.name}\` (${target.commandLine}), not node: a wrapper (npm, a shell, a script without \`exec\`) swallows SIGTERM or passes it on and exits at once, and when PID 1 exits the runtime kills node with it. Start node itself as PID 1 (CMD ["node", "server.js"], or \`exec node …\` in the script); see lameduck's start-up diagnostics`;
  }
  if (pod.killed && pod.isolation === 'pid-namespace') {
    return 'likely cause: node was PID 1 and did not exit on SIGTERM; as PID 1 a process without a SIGTERM handler ignores SIGTERM (lameduck installs one)';
  }
  return undefined;
}

/**
 * When the pod closed its listener before the balancer stopped sending it new connections, says
 * so: that is the usual cause of refused and reset requests (for lameduck services: no drain
 * delay, whose default is 0 outside Kubernetes).
 */
export function earlyCloseHint(podName: string, events: readonly TimelineEvent[]): string | undefined {
  // Whichever the prober saw first: the listener closed, or the process gone.
  const closed = events.find((event) => event.kind === 'listener-closed' || event.kind === 'exited');
  const removed = events.find(
    (event) => event.kind === 'endpoint-removed' || event.kind === 'balancer-marked-down',
  );
  if (closed === undefined || (removed !== undefined && removed.atMs <= closed.atMs)) return undefined;
  const until =
    removed === undefined
      ? 'before the balancer stopped routing to it'
      : `before the balancer stopped routing to it (${removed.atMs} ms)`;
  return `${podName} stopped accepting connections ${closed.atMs} ms after the deletion, ${until}: keep serving longer after SIGTERM, with a drain delay above the lag (lameduck: --drain-delay-ms or LAMEDUCK_DRAIN_DELAY_MS, 0 by default outside Kubernetes) or a preStop sleep`;
}

function failureBreakdown(requests: RequestStats): string {
  return FAILURE_CLASSES.filter((name) => requests.failures[name] > 0)
    .map((name) => `${FAILURE_LABELS[name]} ${requests.failures[name]}`)
    .join(', ');
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : ' '.repeat(width - text.length) + text;
}

/** The human report: settings, timeline, requests, pod outcome, verdict. */
export function formatReport(report: SimulationReport): string {
  const s = report.settings;
  const lag = s.lagMs === null ? 'no deregistration (health checks only)' : `lag ${s.lagMs} ms`;
  const loadText =
    s.load === 'idle'
      ? `idle keep-alive, ${plural(s.connections, 'connection')}`
      : s.protocol === 'h2'
        ? `HTTP/2 (h2c) ${s.rate} streams/s over ${plural(s.connections, 'session')}, ${Math.round(s.slowRatio * 100)}% slow (${s.slowMs} ms); ${s.newConnectionRate} streams/s on new sessions`
        : `${s.method} ${s.thinkMs > 0 ? `over ${plural(s.connections, 'keep-alive connection')}, each after an exponential think time (mean ${s.thinkMs} ms)` : `${s.rate} req/s over ${plural(s.connections, 'keep-alive connection')}`}, ${s.slowPath === null ? 'no slow requests (no slow route)' : `${Math.round(s.slowRatio * 100)}% slow (${s.slowMs} ms)`}; ${s.newConnectionRate} req/s on new connections`;
  const lines: string[] = [
    `lameduck simulate: ${s.lb}, ${plural(s.replicas, 'replica')}, ${lag}, grace period ${s.gracePeriodSeconds} s, preStop ${s.preStop}${s.replace ? ', replacement first' : ''}`,
    `  command  ${report.command.join(' ')}`,
    `  load     ${loadText}${s.longRequestMs === null ? '' : `, one ${s.longRequestMs} ms request in flight`}`,
    '',
    'timeline (ms from deletion)',
  ];
  for (const event of report.timeline) {
    const detail = event.detail === '' ? '' : `  ${event.detail}`;
    lines.push(`  ${pad(String(event.atMs), 7)}  ${EVENT_LABELS[event.kind]}${detail}`);
  }
  const r = report.requests;
  lines.push(
    '',
    s.protocol === 'h2'
      ? `streams   ${r.ok} ok (${r.retried} refused and retried on a new connection), ${r.failed} failed of ${r.total} (${r.slow} slow)`
      : `requests  ${r.ok} ok, ${r.failed} failed of ${r.total} (${r.slow} slow); ${plural(r.connectionClose, 'response')} carried Connection: close`,
    `  failed by class  ${FAILURE_CLASSES.map((name) => `${FAILURE_LABELS[name]} ${r.failures[name]}`).join(' · ')}`,
    `  latency ms       p50 ${r.latencyMs.p50} · p99 ${r.latencyMs.p99} · max ${r.latencyMs.max}`,
    `  during termination (deletion → exit)  ${report.requestsDuringTermination.ok} ok, ${report.requestsDuringTermination.failed} failed`,
  );
  for (const sample of r.errorSamples) lines.push(`  error  ${sample}`);
  if (report.longRequest !== null) {
    const l = report.longRequest;
    lines.push(`long request  ${l.ms} ms: ${l.ok ? 'ok' : `FAILED (${l.error})`} after ${l.durationMs} ms`);
  }
  const p = report.pod;
  const exit = p.signal !== null ? `signal ${p.signal}` : `exit code ${p.exitCode}`;
  const afterSigterm = p.exitAfterSigtermMs === null ? '' : `, ${p.exitAfterSigtermMs} ms after SIGTERM`;
  lines.push(
    `pod  ${p.name}: ${exit}${afterSigterm} (${p.exitAfterDeletionMs} ms after deletion); ${p.killed ? 'SIGKILL was needed' : 'no SIGKILL needed'}`,
    p.isolation === 'pid-namespace'
      ? `  ran as a container: the command was PID 1 of its own PID namespace${p.sigtermTo === null ? '' : `; SIGTERM went to ${p.sigtermTo.name} (${p.sigtermTo.commandLine})`}`
      : '  ran as a plain child process in its own process group (unshare not usable here)',
  );
  if (p.leftBehind.length > 0)
    lines.push(
      `  killed with PID 1: ${plural(p.leftBehind.length, 'process', 'processes')} still in the pod (${p.leftBehind.join(', ')})`,
    );
  const connections = Object.entries(report.balancer.connections)
    .map(([name, count]) => {
      const refused = report.balancer.refusedByPod[name];
      return `${name} ${count}${refused ? ` (${refused} refused by the pod)` : ''}`;
    })
    .join(' · ');
  if (s.lbNote !== null) lines.push(`balancer  ${s.lbNote}`);
  if (connections !== '')
    lines.push(
      `balancer  ${s.lb === 'haproxy' ? 'sessions' : s.lb === 'nginx' ? 'requests per pod' : 'new connections'}: ${connections}`,
    );
  const after = Object.entries(report.balancer.connectionsAfterDeletion)
    .map(([name, count]) => `${name} ${count}`)
    .join(' · ');
  if (after !== '')
    lines.push(`  ${s.lb === 'nginx' ? 'requests' : 'new connections'} after the deletion  ${after}`);
  for (const [name, kept] of Object.entries(report.balancer.afterRemoval)) {
    const fresh =
      kept.newConnections === undefined
        ? ''
        : `; ${plural(kept.newConnections, 'new connection')} reached it after the removal`;
    lines.push(
      kept.open === 0
        ? `  ${name}: no connection was open when its endpoint was removed${fresh}`
        : `  ${name}: ${plural(kept.open, 'connection')} still open when its endpoint was removed; conntrack kept ${kept.open === 1 ? 'it' : 'them'} (${plural(kept.bytesFromPod, 'byte')} came back on ${kept.open === 1 ? 'it' : 'them'})${fresh}`,
    );
  }
  for (const note of report.balancer.notes ?? []) lines.push(`  ${note}`);
  lines.push(...formatLongLived(report));
  lines.push(`processes killed at the end of the run: ${report.processesKilledAtEnd}`, '');
  if (report.ok) {
    lines.push(
      `PASS  no request failed and ${p.name} exited by itself with code ${p.exitCode}${afterSigterm}.`,
    );
  } else {
    lines.push('FAIL');
    for (const problem of report.problems) lines.push(`  - ${problem}`);
  }
  return lines.join('\n');
}

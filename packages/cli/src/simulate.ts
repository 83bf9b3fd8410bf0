import { HaproxyBalancer, PIN_HEADER } from './haproxy.js';
import { KubeProxyBalancer } from './kube-proxy.js';
import { type PodTermination, terminatePod, watchReadiness } from './kubelet.js';
import { LoadGenerator, type RequestRecord, sendLongRequest, summarizeRequests } from './load.js';
import { findFreePort, sleep } from './net-util.js';
import { type ResolvedSimulation, resolveSimulation } from './options.js';
import { ProcessRegistry, Replica, setupError } from './replicas.js';
import { buildProblems } from './report.js';
import { Timeline } from './timeline.js';
import type { BalancerStats, LongRequestOutcome, SimulationOptions, SimulationReport } from './types.js';

const TICK_MS = 250;
/** How long the long request gets to reach the pod before the deletion. */
const LONG_REQUEST_HEAD_START_MS = 300;

/** The balancer in front of the replicas, whichever kind it is. */
interface Front {
  readonly port: number;
  /** One line for the progress output. */
  readonly description: string;
  /** Headers that steer a request to `pod` (HAProxy), or none (kube-proxy routes connections). */
  pinHeaders(pod: string): Record<string, string>;
  /** The pod a client connection was routed to, by the client's local port, when the balancer knows. */
  podOf(clientPort: number): string | undefined;
  add(pod: Replica): Promise<void>;
  /** The endpoint path caught up: no new connections (kube-proxy) or deregistration (HAProxy). */
  remove(pod: string): Promise<void>;
  /** Statistics; `deletedAt` splits connections before and after the deletion. */
  stats(deletedAt: number): Promise<BalancerStats>;
  close(): Promise<void>;
}

/**
 * Runs one simulated rollout: starts the replicas, puts a balancer in front, drives keep-alive
 * load through it, deletes one pod the way the kubelet does, and reports what the clients saw.
 * Every process it started is killed before it returns or throws.
 *
 * @example
 * const report = await simulate({ command: ['node', 'server.js'], env: { LAMEDUCK_DRAIN_DELAY_MS: '3000' } });
 * if (!report.ok) console.error(report.problems);
 */
export async function simulate(options: SimulationOptions): Promise<SimulationReport> {
  const settings = resolveSimulation(options);
  const registry = new ProcessRegistry();
  const killOnExit = () => registry.killAllNow();
  process.once('exit', killOnExit);
  const cleanups: (() => Promise<void> | void)[] = [];
  let onAbort: () => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(setupError('aborted; every process it started was killed'));
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  const run = runSimulation(settings, options, registry, cleanups);
  run.catch(() => undefined);
  try {
    return await Promise.race([run, aborted]);
  } finally {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
    await registry.killAll();
    process.removeListener('exit', killOnExit);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

async function runSimulation(
  settings: ResolvedSimulation,
  options: SimulationOptions,
  registry: ProcessRegistry,
  cleanups: (() => Promise<void> | void)[],
): Promise<SimulationReport> {
  const progress = options.onProgress;
  const status = (message: string) => progress?.({ kind: 'status', message });
  const timeline = new Timeline((event) => progress?.({ kind: 'event', event }));
  const signal = options.signal;
  const startedAt = performance.now();

  // Replicas pod-1..pod-N, and pod-(N+1) as the replacement. HAProxy names every port up front.
  const names = Array.from({ length: settings.replicas }, (_, i) => `pod-${i + 1}`);
  const replacementName = `pod-${settings.replicas + 1}`;
  const ports = new Map<string, number>();
  if (settings.lb === 'haproxy') {
    for (const name of [...names, replacementName]) ports.set(name, await findFreePort());
  }
  const spawnReplica = async (name: string) => {
    const replica = await Replica.spawn({
      name,
      command: settings.command,
      cwd: settings.cwd,
      env: {
        // What a pod spec would tell lameduck-based services; the user's --env wins.
        LAMEDUCK_GRACE_PERIOD_SECONDS: String(settings.gracePeriodSeconds),
        ...(settings.preStop && 'sleepSeconds' in settings.preStop
          ? { LAMEDUCK_PRESTOP_SLEEP_SECONDS: String(settings.preStop.sleepSeconds) }
          : {}),
        ...settings.env,
      },
      port: ports.get(name),
      onOutput: options.onReplicaOutput,
    });
    registry.add(replica);
    return replica;
  };

  status(`starting ${settings.replicas} replicas of: ${settings.command.join(' ')}`);
  const replicas = await Promise.all(names.map(spawnReplica));
  await Promise.all(
    replicas.map((replica) => replica.waitReady(settings.readinessPath, settings.startTimeoutMs, signal)),
  );

  // The pod to delete: pod-1, or the pod the long request's connection was routed to.
  let victim = replicas[0]!;
  status(
    `${settings.replicas} replicas ready (${replicas.map((r) => `${r.name} pid ${r.pid} port ${r.port}`).join(', ')}); starting the ${settings.lb} balancer`,
  );
  const front =
    settings.lb === 'kube-proxy'
      ? await kubeProxyFront(replicas)
      : await haproxyFront(settings, replicas, replacementName, ports, registry, timeline, () => victim.name);
  cleanups.push(() => front.close());
  status(front.description);

  const load = new LoadGenerator({
    port: front.port,
    connections: settings.connections,
    rate: settings.rate,
    newConnectionRate: settings.newConnectionRate,
    slowRatio: settings.slowRatio,
    slowMs: settings.slowMs,
    timeoutMs: settings.requestTimeoutMs,
  });
  cleanups.push(() => load.destroy());
  const ticker = setInterval(() => {
    const summary = summarizeRequestsFast(load.records);
    progress?.({
      kind: 'tick',
      elapsedMs: performance.now() - startedAt,
      ok: summary.ok,
      failed: summary.failed,
      inFlight: load.inFlight,
      phase: phaseOf(timeline),
    });
  }, TICK_MS);
  cleanups.push(() => clearInterval(ticker));

  const loadStartedAt = performance.now();
  let durationTimer: NodeJS.Timeout | undefined;
  if (settings.durationMs !== null) {
    durationTimer = setTimeout(() => load.stopSteady(), settings.durationMs);
    cleanups.push(() => clearTimeout(durationTimer));
  }
  if (settings.load === 'idle') {
    status(`opening ${settings.connections} keep-alive connections, then leaving them idle`);
    await load.warmUp();
  } else {
    status(`load: ${settings.rate} req/s over ${settings.connections} keep-alive connections`);
    load.startSteady();
  }

  let replacement: Replica | undefined;
  if (settings.replace) {
    timeline.mark('replacement-started', replacementName);
    replacement = await spawnReplica(replacementName);
    await replacement.waitReady(settings.readinessPath, settings.startTimeoutMs, signal);
    await front.add(replacement);
    timeline.mark('replacement-ready', `${replacementName} is an endpoint`);
  }

  const headStart = settings.longRequestMs === null ? 0 : LONG_REQUEST_HEAD_START_MS;
  await sleep(settings.deleteAfterMs - (performance.now() - loadStartedAt) - headStart, signal);

  let longRequest: Promise<RequestRecord> | undefined;
  if (settings.longRequestMs !== null) {
    const longMs = settings.longRequestMs;
    let connected: (port: number) => void = () => {};
    const localPort = new Promise<number>((resolve) => {
      connected = resolve;
    });
    longRequest = sendLongRequest(
      front.port,
      longMs,
      settings.requestTimeoutMs,
      front.pinHeaders(victim.name),
      connected,
    ).then((record) => {
      timeline.mark(
        'long-request-finished',
        record.failure === undefined ? `HTTP ${record.status}` : `${record.error}`,
      );
      return record;
    });
    const port = await Promise.race([localPort, sleep(headStart, signal).then(() => 0)]);
    const routedTo = replicas.find((replica) => replica.name === front.podOf(port));
    if (routedTo !== undefined) victim = routedTo;
    timeline.mark('long-request-sent', `GET /slow?ms=${longMs} on a connection to ${victim.name}`);
    await sleep(headStart, signal);
  }

  status(`deleting ${victim.name} (pid ${victim.pid})`);
  timeline.mark('deleted', `${victim.name} (pid ${victim.pid}, port ${victim.port})`);
  const deletedAt = performance.now();
  let lagTimer: NodeJS.Timeout | undefined;
  if (settings.lagMs !== null) {
    lagTimer = setTimeout(() => {
      void front
        .remove(victim.name)
        .then(() => timeline.mark('endpoint-removed', `after a lag of ${settings.lagMs} ms`));
    }, settings.lagMs);
    cleanups.push(() => clearTimeout(lagTimer));
  }
  const stopProber = watchReadiness(victim, settings.readinessPath, timeline);
  cleanups.push(stopProber);
  const termination: PodTermination = await terminatePod(victim, {
    preStop: settings.preStop,
    gracePeriodSeconds: settings.gracePeriodSeconds,
    timeline,
  });
  stopProber();
  status(`${victim.name} exited; load goes on for ${settings.afterExitMs} ms`);

  await sleep(settings.afterExitMs, signal);
  if (settings.load === 'idle') await load.warmUp();
  load.stopSteady();
  if (durationTimer !== undefined) clearTimeout(durationTimer);
  const longRecord = longRequest === undefined ? undefined : await longRequest;
  await load.close();
  clearInterval(ticker);
  if (lagTimer !== undefined) clearTimeout(lagTimer);

  const records = longRecord === undefined ? load.records : [...load.records, longRecord];
  const exitAt = termination.exit.at;
  const during = records.filter((record) => record.startedAt >= deletedAt && record.startedAt <= exitAt);
  const requests = summarizeRequests(records);
  const longOutcome: LongRequestOutcome | null =
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
  const pod = {
    name: victim.name,
    pid: victim.pid,
    port: victim.port,
    exitCode: termination.exit.code,
    signal: termination.exit.signal,
    killed: termination.killed,
    exitAfterSigtermMs:
      termination.sigtermAt === undefined ? null : Math.round(exitAt - termination.sigtermAt),
    exitAfterDeletionMs: Math.round(exitAt - deletedAt),
  };
  const balancer = await front.stats(deletedAt);
  const problems = buildProblems(requests, pod, longOutcome);
  return {
    ok: problems.length === 0,
    problems,
    command: settings.command,
    settings: {
      lb: settings.lb,
      replicas: settings.replicas,
      lagMs: settings.lagMs,
      gracePeriodSeconds: settings.gracePeriodSeconds,
      preStop:
        settings.preStop === undefined
          ? 'none'
          : 'sleepSeconds' in settings.preStop
            ? `sleep ${settings.preStop.sleepSeconds} s`
            : `httpGet ${settings.preStop.httpGetPath}`,
      replace: settings.replace,
      load: settings.load,
      connections: settings.connections,
      rate: settings.load === 'idle' ? 0 : settings.rate,
      newConnectionRate: settings.load === 'idle' ? 0 : settings.newConnectionRate,
      slowRatio: settings.slowRatio,
      slowMs: settings.slowMs,
      longRequestMs: settings.longRequestMs,
    },
    timeline: timeline.events(),
    requests,
    requestsDuringTermination: {
      ok: during.filter((record) => record.failure === undefined).length,
      failed: during.filter((record) => record.failure !== undefined).length,
    },
    pod,
    longRequest: longOutcome,
    balancer,
    durationMs: Math.round(performance.now() - startedAt),
  };
}

function summarizeRequestsFast(records: readonly RequestRecord[]): { ok: number; failed: number } {
  let failed = 0;
  for (const record of records) if (record.failure !== undefined) failed += 1;
  return { ok: records.length - failed, failed };
}

function phaseOf(timeline: Timeline): string {
  if (timeline.first('exited') !== undefined) return 'pod exited';
  if (timeline.first('listener-closed') !== undefined) return 'closing';
  if (timeline.first('sigterm') !== undefined) return 'draining';
  if (timeline.first('prestop-started') !== undefined) return 'preStop';
  if (timeline.first('deleted') !== undefined) return 'deleted';
  return 'serving';
}

async function kubeProxyFront(replicas: readonly Replica[]): Promise<Front> {
  const balancer = new KubeProxyBalancer();
  const port = await balancer.listen();
  for (const replica of replicas) balancer.addEndpoint(replica.name, replica.port);
  return {
    port,
    description: `kube-proxy balancer on 127.0.0.1:${port}`,
    pinHeaders: () => ({}),
    podOf: (clientPort) => balancer.endpointOf(clientPort),
    async add(pod) {
      balancer.addEndpoint(pod.name, pod.port);
    },
    async remove(pod) {
      balancer.removeEndpoint(pod);
    },
    async stats(deletedAt) {
      return balancer.stats(deletedAt);
    },
    close: () => balancer.close(),
  };
}

async function haproxyFront(
  settings: ResolvedSimulation,
  replicas: readonly Replica[],
  replacementName: string,
  ports: ReadonlyMap<string, number>,
  registry: ProcessRegistry,
  timeline: Timeline,
  victim: () => string,
): Promise<Front> {
  const servers = [
    ...replicas.map((replica) => ({ name: replica.name, port: replica.port, enabled: true })),
    ...(settings.replace
      ? [{ name: replacementName, port: ports.get(replacementName) ?? 0, enabled: false }]
      : []),
  ];
  const haproxy = await HaproxyBalancer.start({
    binary: settings.haproxyPath,
    readinessPath: settings.readinessPath,
    servers,
    timeoutMs: settings.requestTimeoutMs + 5000,
    register: (child) => registry.addChild(child),
  });
  let markedDown = false;
  haproxy.onServerState((server, state, detail) => {
    if (server !== victim() || state !== 'DOWN' || markedDown || timeline.first('deleted') === undefined)
      return;
    markedDown = true;
    timeline.mark('balancer-marked-down', `HAProxy: ${detail || 'health check failed'}`);
  });
  return {
    port: haproxy.port,
    description: `HAProxy (pid ${haproxy.pid}) on 127.0.0.1:${haproxy.port}, health-checking ${settings.readinessPath}`,
    pinHeaders: (pod) => ({ [PIN_HEADER]: pod }),
    podOf: () => undefined,
    async add(pod) {
      await haproxy.setServerState(pod.name, 'ready');
    },
    async remove(pod) {
      await haproxy.setServerState(pod, 'drain');
    },
    async stats() {
      return haproxyStats(await haproxy.command('show stat').catch(() => ''));
    },
    close: () => haproxy.stop(),
  };
}

/** Reads sessions per server (`stot`) from `show stat` CSV. */
export function haproxyStats(csv: string): BalancerStats {
  const lines = csv.split('\n');
  const header = (lines[0] ?? '').replace(/^# /, '').split(',');
  const svname = header.indexOf('svname');
  const stot = header.indexOf('stot');
  const pxname = header.indexOf('pxname');
  const connections: Record<string, number> = {};
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    const server = cells[svname];
    if (cells[pxname] !== 'pods' || server === undefined || server === 'BACKEND' || server === 'FRONTEND')
      continue;
    connections[server] = Number(cells[stot] ?? 0);
  }
  return { connections, refusedByPod: {}, connectionsAfterDeletion: {}, afterRemoval: {} };
}

import { randomBytes } from 'node:crypto';
import { podAddress } from './balancer-nftables.js';
import { BALANCERS } from './balancers.js';
import { containerSupport } from './container.js';
import { type PodTermination, terminatePod, watchReadiness } from './kubelet.js';
import { sendLongRequest } from './load-http.js';
import { LOADS } from './loads.js';
import { LongLivedClients, longLivedProblems } from './long-lived.js';
import { findFreePort, LOOPBACK, runAt, sleep } from './net-util.js';
import { insideNetns, netnsSupport, simulateInNetns } from './netns.js';
import { type ResolvedSimulation, resolveSimulation } from './options.js';
import { plural } from './plural.js';
import { ProcessRegistry, Replica, setupError } from './replicas.js';
import { assembleReport } from './report.js';
import type { RequestRecord } from './requests.js';
import { checkRoutes } from './routes.js';
import { Timeline } from './timeline.js';
import type { SimulationOptions, SimulationReport } from './types.js';

const TICK_MS = 250;
/** How long the long request gets to reach the pod before the deletion. */
const LONG_REQUEST_HEAD_START_MS = 300;

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
  if (settings.lb === 'nftables' && !insideNetns()) {
    const netns = netnsSupport();
    if (!netns.available) {
      throw setupError(
        `--lb nftables cannot run here: ${netns.reason}. Install them, or pick another balancer: --lb kube-proxy (a user-space stand-in for kube-proxy) or --lb haproxy.`,
      );
    }
    return simulateInNetns({ ...options, lb: 'nftables' });
  }
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
  const signal = options.signal;
  // Once aborted, the run stops at its next step and reports nothing more.
  const progress: SimulationOptions['onProgress'] = (event) => {
    if (!signal?.aborted) options.onProgress?.(event);
  };
  const stopIfAborted = () => {
    if (signal?.aborted) throw setupError('aborted; every process it started was killed');
  };
  const status = (message: string) => progress({ kind: 'status', message });
  const timeline = new Timeline((event) => progress({ kind: 'event', event }));
  const startedAt = performance.now();

  // Replicas pod-1..pod-N, and pod-(N+1) as the replacement. HAProxy names every port up front.
  const names = Array.from({ length: settings.replicas }, (_, i) => `pod-${i + 1}`);
  const replacementName = `pod-${settings.replicas + 1}`;
  const addresses = new Map<string, { host?: string; port: number }>();
  if (settings.lb === 'haproxy') {
    for (const name of [...names, replacementName]) addresses.set(name, { port: await findFreePort() });
  }
  if (settings.lb === 'nftables') {
    // Pod IPs on loopback inside the namespace, as a cluster gives each pod its own address.
    for (const [i, name] of [...names, replacementName].entries()) addresses.set(name, podAddress(i + 1));
  }
  // A preStop httpGet sends the token the replicas get, as the kubelet's httpHeaders would.
  const preStopToken =
    settings.preStop !== undefined && 'httpGetPath' in settings.preStop
      ? (settings.env.LAMEDUCK_PRESTOP_TOKEN ?? randomBytes(16).toString('hex'))
      : undefined;
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
        ...(preStopToken === undefined ? {} : { LAMEDUCK_PRESTOP_TOKEN: preStopToken }),
        ...settings.env,
      },
      ...addresses.get(name),
      onOutput: options.onReplicaOutput,
    });
    registry.add(replica);
    return replica;
  };

  if (settings.lbNote !== undefined) status(settings.lbNote);
  status(`starting ${plural(settings.replicas, 'replica')} of: ${settings.command.join(' ')}`);
  const containers = containerSupport();
  status(
    containers.available
      ? 'each replica runs as a container would: the command is PID 1 of its own PID namespace (unshare)'
      : `replicas cannot run as containers here: ${containers.reason}`,
  );
  const replicas = await Promise.all(names.map(spawnReplica));
  stopIfAborted();
  await Promise.all(
    replicas.map((replica) => replica.waitReady(settings.readinessPath, settings.startTimeoutMs, signal)),
  );
  const routes = await checkRoutes(replicas[0]!, settings);
  const slowPath = routes.slowPath;
  if (routes.note !== undefined) status(routes.note);
  stopIfAborted();

  // The pod to delete: pod-1, or the pod the long request's connection was routed to.
  let victim = replicas[0]!;
  status(
    `${plural(settings.replicas, 'replica')} ready (${replicas.map((r) => `${r.name} pid ${r.pid} port ${r.port}`).join(', ')}); starting the ${settings.lb} balancer`,
  );
  const front = await BALANCERS[settings.lb]({
    settings,
    replicas,
    replacement: settings.replace
      ? { name: replacementName, host: LOOPBACK, port: 0, ...addresses.get(replacementName) }
      : undefined,
    registry,
    timeline,
    victim: () => victim.name,
  });
  cleanups.push(() => front.close());
  stopIfAborted();
  status(front.description);

  const longLived = new LongLivedClients(settings, front);
  cleanups.push(() => longLived.close());
  if (longLived.any) {
    status(`opening ${longLived.description}`);
    await longLived.open();
    stopIfAborted();
  }

  const load = LOADS[settings.protocol]({
    method: settings.method,
    thinkMs: settings.thinkMs,
    slowPath,
    host: front.host,
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
    progress({
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
    status(
      `opening ${plural(settings.connections, 'keep-alive connection')}, then leaving ${settings.connections === 1 ? 'it' : 'them'} idle`,
    );
    await load.warmUp();
  } else {
    status(`load: ${load.description}`);
    load.startSteady();
  }

  let replacement: Replica | undefined;
  if (settings.replace) {
    timeline.mark('replacement-started', replacementName);
    replacement = await spawnReplica(replacementName);
    stopIfAborted();
    await replacement.waitReady(settings.readinessPath, settings.startTimeoutMs, signal);
    await front.add(replacement);
    timeline.mark('replacement-ready', `${replacementName} is an endpoint`);
  }

  const headStart = settings.longRequestMs === null ? 0 : LONG_REQUEST_HEAD_START_MS;
  await sleep(settings.deleteAfterMs - (performance.now() - loadStartedAt) - headStart, signal);
  stopIfAborted();

  let longRequest: Promise<RequestRecord> | undefined;
  if (settings.longRequestMs !== null) {
    const longMs = settings.longRequestMs;
    let connected: (port: number) => void = () => {};
    const localPort = new Promise<number>((resolve) => {
      connected = resolve;
    });
    longRequest = sendLongRequest(
      slowPath ?? settings.slowPath,
      front.host,
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
    const pod =
      port === 0
        ? undefined
        : await Promise.race([front.podOf(port), sleep(headStart, signal).then(() => undefined)]);
    const routedTo = replicas.find((replica) => replica.name === pod);
    if (routedTo !== undefined) victim = routedTo;
    timeline.mark('long-request-sent', `GET /slow?ms=${longMs} on a connection to ${victim.name}`);
    await sleep(headStart, signal);
    stopIfAborted();
  }

  status(`deleting ${victim.name} (pid ${victim.pid})`);
  const deletedAt = timeline.mark(
    'deleted',
    `${victim.name} (pid ${victim.pid}, ${victim.host}:${victim.port})`,
  );
  void front.deleted?.(victim.name);
  let cancelLag: () => void = () => {};
  if (settings.lagMs !== null) {
    cancelLag = runAt(deletedAt + settings.lagMs, () => {
      void front
        .remove(victim.name)
        .then(() => timeline.mark('endpoint-removed', `after a lag of ${settings.lagMs} ms`));
    });
    cleanups.push(cancelLag);
  }
  // The pod's `serving` condition follows its readiness probe, and reaches the balancer after the same lag.
  const stopProber = watchReadiness(victim, settings.readinessPath, timeline, (failedAt) => {
    if (front.notServing === undefined) return;
    cleanups.push(runAt(failedAt + (settings.lagMs ?? 0), () => void front.notServing?.(victim.name)));
  });
  cleanups.push(stopProber);
  const termination: PodTermination = await terminatePod(victim, {
    preStop: settings.preStop,
    preStopToken,
    gracePeriodSeconds: settings.gracePeriodSeconds,
    timeline,
    deletedAt,
  });
  stopProber();
  stopIfAborted();
  status(`${victim.name} exited; load goes on for ${settings.afterExitMs} ms`);

  await sleep(settings.afterExitMs, signal);
  if (longLived.any) await longLived.settle(victim.name);
  if (settings.load === 'idle') await load.warmUp();
  load.stopSteady();
  if (durationTimer !== undefined) clearTimeout(durationTimer);
  const longRecord = longRequest === undefined ? undefined : await longRequest;
  await load.close();
  clearInterval(ticker);
  cancelLag();

  const longLivedStats = longLived.any ? longLived.stats(victim.name) : undefined;
  await longLived.close();
  const balancerStats = await front.stats(deletedAt);
  const killedAtEnd = await registry.killReplicas();
  const report = assembleReport({
    settings,
    slowPath,
    records: longRecord === undefined ? load.records : [...load.records, longRecord],
    longRecord,
    pod: victim,
    termination,
    deletedAt,
    balancer: balancerStats,
    timeline,
    killedAtEnd: killedAtEnd.length,
    startedAt,
  });
  if (longLivedStats === undefined) return report;
  const problems = [...report.problems, ...longLivedProblems(longLivedStats, victim.name)];
  return { ...report, ok: problems.length === 0, problems, longLived: longLivedStats };
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

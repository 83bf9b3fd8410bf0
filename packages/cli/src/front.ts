import { HaproxyBalancer, PIN_HEADER } from './haproxy.js';
import { KubeProxyBalancer } from './kube-proxy.js';
import type { ResolvedSimulation } from './options.js';
import type { ProcessRegistry, Replica } from './replicas.js';
import type { Timeline } from './timeline.js';
import type { BalancerStats } from './types.js';

/** The balancer in front of the replicas, whichever kind it is. */
export interface Front {
  readonly port: number;
  /** One line for the progress output. */
  readonly description: string;
  /** Headers that steer a request to `pod` (HAProxy), or none (kube-proxy routes connections). */
  pinHeaders(pod: string): Record<string, string>;
  /** The pod a client connection is routed to, by the client's local port; undefined when the balancer cannot tell. */
  podOf(clientPort: number): Promise<string | undefined>;
  add(pod: Replica): Promise<void>;
  /** The endpoint path caught up: no new connections (kube-proxy) or deregistration (HAProxy). */
  remove(pod: string): Promise<void>;
  /** Statistics; `deletedAt` splits connections before and after the deletion. */
  stats(deletedAt: number): Promise<BalancerStats>;
  close(): Promise<void>;
}

export async function kubeProxyFront(replicas: readonly Replica[]): Promise<Front> {
  const balancer = new KubeProxyBalancer();
  const port = await balancer.listen();
  for (const replica of replicas) balancer.addEndpoint(replica.name, replica.port);
  return {
    port,
    description: `kube-proxy balancer on 127.0.0.1:${port}`,
    pinHeaders: () => ({}),
    podOf: (clientPort) => balancer.whenRouted(clientPort),
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

export async function haproxyFront(
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
    podOf: async () => undefined,
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

import * as net from 'node:net';
import type { BalancerFactory } from './balancer.js';
import { KubeProxyThread } from './kube-proxy-calls.js';
import { LOOPBACK } from './net-util.js';
import type { BalancerStats } from './types.js';

interface Endpoint {
  readonly name: string;
  readonly port: number;
}

/**
 * A TCP balancer that behaves like kube-proxy: each NEW connection goes to the next endpoint
 * still listed (round robin); an established connection stays on the endpoint it was sent to
 * for its whole life, whatever happens to the list (conntrack). Removing an endpoint never
 * touches its established connections.
 *
 * When the chosen pod refuses the connection, the client's connection is reset (kube-proxy's
 * DNAT would have passed the pod's RST on as a refusal; a user-space proxy has already
 * accepted, so a reset is the closest it can do). With no endpoint listed, the same.
 */
export class KubeProxyBalancer {
  private endpoints: Endpoint[] = [];
  private next = 0;
  private readonly servers: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();
  private readonly connectionsTo = new Map<string, number>();
  private readonly refusedBy = new Map<string, number>();
  private readonly conntrack = new Map<string, string>();
  /** Callers waiting for a client connection (by client port) to be routed. */
  private readonly routeWaiters = new Map<string, (endpoint: string) => void>();
  /** Established connections per endpoint, and what they carried after the endpoint was removed. */
  private readonly open = new Map<string, number>();
  private readonly removed = new Map<string, { open: number; bytesFromPod: number }>();
  /** When each new connection was routed, per endpoint (`performance.now()`). */
  private readonly routedAt: { name: string; at: number }[] = [];

  /** Starts listening on 127.0.0.1 on a free port; returns the port. */
  listen(): Promise<number> {
    return this.listenWith(() => this.pick());
  }

  addEndpoint(name: string, port: number): void {
    if (!this.endpoints.some((endpoint) => endpoint.name === name)) this.endpoints.push({ name, port });
  }

  /** Stops sending NEW connections to the endpoint; established ones keep flowing. */
  removeEndpoint(name: string): void {
    this.endpoints = this.endpoints.filter((endpoint) => endpoint.name !== name);
    if (!this.removed.has(name)) this.removed.set(name, { open: this.open.get(name) ?? 0, bytesFromPod: 0 });
  }

  /** The endpoints new connections go to, in order. */
  listed(): string[] {
    return this.endpoints.map((endpoint) => endpoint.name);
  }

  /** Which endpoint a client connection (by the client's local port) was sent to: its conntrack entry. */
  endpointOf(clientPort: number): string | undefined {
    return this.conntrack.get(String(clientPort));
  }

  /**
   * The endpoint a client connection is sent to, as soon as the balancer has routed it: the
   * client may see its connection established before the balancer's accept has run.
   */
  whenRouted(clientPort: number): Promise<string> {
    const known = this.conntrack.get(String(clientPort));
    if (known !== undefined) return Promise.resolve(known);
    return new Promise((resolve) => this.routeWaiters.set(String(clientPort), resolve));
  }

  /** Connections per endpoint, connections the pod refused, and connections routed since `since`. */
  stats(since = Number.POSITIVE_INFINITY): {
    connections: Record<string, number>;
    refusedByPod: Record<string, number>;
    connectionsAfterDeletion: Record<string, number>;
    afterRemoval: Record<string, { open: number; bytesFromPod: number }>;
  } {
    const after: Record<string, number> = {};
    for (const entry of this.routedAt)
      if (entry.at >= since) after[entry.name] = (after[entry.name] ?? 0) + 1;
    return {
      connections: Object.fromEntries(this.connectionsTo),
      refusedByPod: Object.fromEntries(this.refusedBy),
      connectionsAfterDeletion: after,
      afterRemoval: Object.fromEntries([...this.removed].map(([name, value]) => [name, { ...value }])),
    };
  }

  /** Closes the listeners and destroys every proxied connection. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(
      this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
  }

  private pick(): Endpoint | undefined {
    if (this.endpoints.length === 0) return undefined;
    const endpoint = this.endpoints[this.next % this.endpoints.length];
    this.next = (this.next + 1) % Math.max(this.endpoints.length, 1);
    return endpoint;
  }

  private listenWith(choose: () => Endpoint | undefined): Promise<number> {
    const server = net.createServer({ allowHalfOpen: true }, (client) => this.route(client, choose()));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, LOOPBACK, () => {
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
  }

  private route(client: net.Socket, endpoint: Endpoint | undefined): void {
    this.sockets.add(client);
    client.once('close', () => this.sockets.delete(client));
    client.on('error', () => {});
    if (endpoint === undefined) {
      client.resetAndDestroy();
      return;
    }
    const key = String(client.remotePort);
    this.conntrack.set(key, endpoint.name);
    this.routeWaiters.get(key)?.(endpoint.name);
    this.routeWaiters.delete(key);
    client.once('close', () => this.conntrack.delete(key));
    this.connectionsTo.set(endpoint.name, (this.connectionsTo.get(endpoint.name) ?? 0) + 1);
    this.routedAt.push({ name: endpoint.name, at: performance.now() });

    const pod = net.connect({ host: LOOPBACK, port: endpoint.port, allowHalfOpen: true });
    this.sockets.add(pod);
    pod.once('close', () => this.sockets.delete(pod));
    let connected = false;
    pod.once('connect', () => {
      connected = true;
      this.open.set(endpoint.name, (this.open.get(endpoint.name) ?? 0) + 1);
      pod.once('close', () => this.open.set(endpoint.name, (this.open.get(endpoint.name) ?? 1) - 1));
    });
    // Conntrack at work: bytes the pod still sends on connections made before its removal.
    pod.on('data', (chunk: Buffer) => {
      const removed = this.removed.get(endpoint.name);
      if (removed !== undefined) removed.bytesFromPod += chunk.length;
    });
    pod.on('error', (error: NodeJS.ErrnoException) => {
      if (!connected && error.code === 'ECONNREFUSED') {
        this.refusedBy.set(endpoint.name, (this.refusedBy.get(endpoint.name) ?? 0) + 1);
      }
      if (!client.destroyed) client.resetAndDestroy();
    });
    client.on('error', () => {
      if (!pod.destroyed) pod.resetAndDestroy();
    });
    // A FIN travels on as a FIN (half-close), a close without error closes the other side too.
    client.pipe(pod);
    pod.pipe(client);
    pod.once('close', (hadError) => {
      if (!hadError && !client.destroyed) client.end();
    });
    client.once('close', (hadError) => {
      if (!hadError && !pod.destroyed) pod.end();
    });
  }
}

/** `--lb kube-proxy`: the user-space stand-in, for systems without unshare and nft. */
export const kubeProxyBalancer: BalancerFactory = async ({ replicas }) => {
  const thread = new KubeProxyThread();
  try {
    const port = await thread.call<number>({ op: 'listen' });
    for (const replica of replicas) await thread.call({ op: 'add', name: replica.name, port: replica.port });
    return {
      host: LOOPBACK,
      port,
      description: `kube-proxy balancer (user space, on its own thread) on ${LOOPBACK}:${port}`,
      pinHeaders: () => ({}),
      podOf: (clientPort) => thread.call<string>({ op: 'routed', clientPort }),
      async add(pod) {
        await thread.call({ op: 'add', name: pod.name, port: pod.port });
      },
      async remove(pod) {
        await thread.call({ op: 'remove', name: pod });
      },
      stats: (deletedAt) =>
        thread.call<BalancerStats>({ op: 'stats', sinceEpochMs: performance.timeOrigin + deletedAt }),
      close: () => thread.close(),
    };
  } catch (error) {
    await thread.close();
    throw error;
  }
};

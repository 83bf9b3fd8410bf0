import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { BalancerFactory } from './balancer.js';
import { findFreePort, LOOPBACK, sleep } from './net-util.js';
import { setupError } from './replicas.js';
import type { BalancerStats } from './types.js';

/** The header that pins a request to one server (the long request goes to the deleted pod). */
export const PIN_HEADER = 'x-lameduck-pin';

export interface HaproxyServer {
  readonly name: string;
  readonly port: number;
  /** False for a replacement that is not ready yet (starts in maintenance). */
  readonly enabled: boolean;
}

export interface HaproxyConfigInput {
  readonly frontendPort: number;
  readonly adminSocket: string;
  readonly readinessPath: string;
  readonly servers: readonly HaproxyServer[];
  /** Client and server timeouts: longer than the longest request. */
  readonly timeoutMs: number;
}

/**
 * An HAProxy config that health-checks the readiness probe like a cloud load balancer or an
 * ingress: `mode http`, keep-alive to clients and pods, checks every 500 ms, down after 2
 * failures, up after 2 successes.
 */
export function haproxyConfig(input: HaproxyConfigInput): string {
  const lines = [
    'global',
    `  stats socket ${input.adminSocket} mode 600 level admin`,
    '',
    'defaults',
    '  mode http',
    '  option http-keep-alive',
    '  timeout connect 2s',
    `  timeout client ${input.timeoutMs}ms`,
    `  timeout server ${input.timeoutMs}ms`,
    `  timeout http-keep-alive ${input.timeoutMs}ms`,
    '',
    'frontend lameduck',
    `  bind ${LOOPBACK}:${input.frontendPort}`,
    '  default_backend pods',
    '',
    'backend pods',
    '  balance roundrobin',
    '  http-reuse safe',
    `  option httpchk GET ${input.readinessPath}`,
    '  http-check expect status 200',
    '  default-server inter 500 fall 2 rise 2',
    ...input.servers.map(
      (server) => `  use-server ${server.name} if { req.hdr(${PIN_HEADER}) -m str ${server.name} }`,
    ),
    ...input.servers.map(
      (server) =>
        `  server ${server.name} ${LOOPBACK}:${server.port} check${server.enabled ? '' : ' disabled'}`,
    ),
    '',
  ];
  return lines.join('\n');
}

/** Parses HAProxy's state-change warnings: `Server pods/pod-1 is DOWN, reason: …`. */
export function parseServerState(
  line: string,
): { server: string; state: 'UP' | 'DOWN'; detail: string } | undefined {
  const match = /Server pods\/(\S+) is (UP|DOWN)\b(.*)$/.exec(line);
  if (match === null) return undefined;
  const reason = /reason: ([^,]+(?:, info: "[^"]*")?)/.exec(match[3] ?? '');
  return { server: match[1] ?? '', state: match[2] as 'UP' | 'DOWN', detail: reason?.[1] ?? '' };
}

/** A real HAProxy in the foreground (`-db -f cfg`), killed by PID at the end. */
export class HaproxyBalancer {
  private readonly tail: string[] = [];
  private readonly stateListeners: ((server: string, state: 'UP' | 'DOWN', detail: string) => void)[] = [];
  private readonly exited: Promise<void>;

  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly dir: string,
    private readonly adminSocket: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      createInterface({ input: stream }).on('line', (line) => {
        this.tail.push(line);
        if (this.tail.length > 20) this.tail.shift();
        const change = parseServerState(line);
        if (change)
          for (const listener of this.stateListeners) listener(change.server, change.state, change.detail);
      });
    }
  }

  static async start(options: {
    binary: string;
    readinessPath: string;
    servers: readonly HaproxyServer[];
    timeoutMs: number;
    register: (child: ChildProcess) => void;
  }): Promise<HaproxyBalancer> {
    const dir = await mkdtemp(join(tmpdir(), 'lameduck-haproxy-'));
    const adminSocket = join(dir, 'admin.sock');
    const port = await findFreePort();
    const config = join(dir, 'haproxy.cfg');
    await writeFile(
      config,
      haproxyConfig({
        frontendPort: port,
        adminSocket,
        readinessPath: options.readinessPath,
        servers: options.servers,
        timeoutMs: options.timeoutMs,
      }),
    );
    const child = spawn(options.binary, ['-db', '-f', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
    });
    options.register(child);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error: NodeJS.ErrnoException) => {
        void rm(dir, { recursive: true, force: true });
        reject(
          setupError(
            error.code === 'ENOENT'
              ? `--lb haproxy needs the haproxy binary, and ${JSON.stringify(options.binary)} was not found. Install it (Debian/Ubuntu: apt-get install -y haproxy) or pass --haproxy <path>.`
              : `could not start ${options.binary} (${error.code ?? error.message}).`,
          ),
        );
      });
    });
    const balancer = new HaproxyBalancer(port, child, dir, adminSocket);
    await balancer.waitListening();
    return balancer;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Called on every server state change HAProxy reports. */
  onServerState(listener: (server: string, state: 'UP' | 'DOWN', detail: string) => void): void {
    this.stateListeners.push(listener);
  }

  /** Runtime API: `set server pods/<name> state ready|drain|maint`. */
  async setServerState(name: string, state: 'ready' | 'drain' | 'maint'): Promise<string> {
    return this.command(`set server pods/${name} state ${state}`);
  }

  /** Sends one command on the admin socket and returns HAProxy's answer. */
  command(line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(this.adminSocket);
      let answer = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        answer += chunk;
      });
      socket.once('error', reject);
      socket.once('close', () => resolve(answer.trim()));
      socket.end(`${line}\n`);
    });
  }

  /** Kills HAProxy by PID and removes its temporary directory. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
    await rm(this.dir, { recursive: true, force: true });
  }

  private async waitListening(): Promise<void> {
    const deadline = performance.now() + 10_000;
    while (performance.now() < deadline) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) break;
      if (await canConnect(this.port)) return;
      await sleep(50);
    }
    await this.stop();
    throw setupError(
      `HAProxy did not start listening on port ${this.port}. Its output:\n${this.tail.join('\n')}`,
    );
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: LOOPBACK, port });
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** `--lb haproxy`: a real HAProxy health-checking the readiness probe, like a cloud load balancer. */
export const haproxyBalancer: BalancerFactory = async (context) => {
  const { settings, replicas, replacement, registry, timeline, victim } = context;
  const servers = [
    ...replicas.map((replica) => ({ name: replica.name, port: replica.port, enabled: true })),
    ...(replacement === undefined ? [] : [{ ...replacement, enabled: false }]),
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
    host: LOOPBACK,
    port: haproxy.port,
    description: `HAProxy (pid ${haproxy.pid}) on ${LOOPBACK}:${haproxy.port}, health-checking ${settings.readinessPath}`,
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
};

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

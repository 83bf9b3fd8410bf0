import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { BalancerFactory } from './balancer.js';
import { sleep } from './net-util.js';
import { plural } from './plural.js';
import { setupError } from './replicas.js';
import type { BalancerStats } from './types.js';

/**
 * `--lb nftables`: kube-proxy's nftables mode on the real kernel, in the simulator's own user
 * and network namespace (netns.ts). A Service address on loopback, DNAT at random over the
 * ready endpoints (`numgen random mod N vmap`), one chain per endpoint with a counter, the way
 * kube-proxy writes them. NAT is decided on a connection's first packet only: an established
 * connection keeps going to its pod through conntrack, whatever the rules say later.
 *
 * The terminating-endpoint fallback of KEP-1669 (ProxyTerminatingEndpoints, GA in 1.28): when
 * no endpoint is ready, new connections go to the terminating endpoints whose `serving`
 * condition is true; `serving` follows the pod's readiness probe. With none of those either,
 * new connections are rejected (kube-proxy's no-endpoints reject).
 */
export const SERVICE_HOST = '127.10.0.1';
export const SERVICE_PORT = 80;
const TABLE = 'lameduck';

/** The pod address of replica `index` (1-based): 127.0.1.<index>, port 8080 + index. */
export function podAddress(index: number): { host: string; port: number } {
  return { host: `127.0.1.${index}`, port: 8080 + index };
}

export interface NftEndpoint {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

/** The whole table, as `nft -f` reads it: one endpoint chain per pod, the Service's dispatch over `targets`. */
export function nftablesRuleset(all: readonly NftEndpoint[], targets: readonly string[]): string {
  return [
    `table ip ${TABLE} {`,
    '  chain nat-output {',
    '    type nat hook output priority -100; policy accept;',
    `    ip daddr ${SERVICE_HOST} tcp dport ${SERVICE_PORT} jump service`,
    '  }',
    '  chain filter-output {',
    '    type filter hook output priority -110; policy accept;',
    `    ip daddr ${SERVICE_HOST} tcp dport ${SERVICE_PORT} ct state new jump no-endpoints`,
    '  }',
    '  chain replies {',
    '    type filter hook output priority 0; policy accept;',
    ...all.map(
      (endpoint) =>
        `    ip saddr ${endpoint.host} tcp sport ${endpoint.port} counter comment "${endpoint.name}"`,
    ),
    '  }',
    ...all.flatMap((endpoint) => [
      `  chain endpoint-${endpoint.name} {`,
      `    meta l4proto tcp counter dnat to ${endpoint.host}:${endpoint.port}`,
      '  }',
    ]),
    '  chain service {',
    ...serviceRules(targets),
    '  }',
    '  chain no-endpoints {',
    ...noEndpointRules(targets),
    '  }',
    '}',
    '',
  ].join('\n');
}

function serviceRules(targets: readonly string[]): string[] {
  if (targets.length === 0) return [];
  const map = targets.map((name, i) => `${i} : goto endpoint-${name}`).join(', ');
  return [`    numgen random mod ${targets.length} vmap { ${map} }`];
}

function noEndpointRules(targets: readonly string[]): string[] {
  return targets.length === 0 ? ['    reject with tcp reset'] : [];
}

/** Runs `nft -f -` with the given text; rejects with nft's own message. */
export function nft(input: string, args: readonly string[] = ['-f', '-']): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('nft', args, { stdio: [input === '' ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
    });
    child.once('error', (error) => reject(setupError(`could not run nft (${error.message})`)));
    child.once('close', (code) =>
      code === 0 ? resolve(out) : reject(setupError(`nft ${args.join(' ')} failed: ${err.trim()}`)),
    );
    child.stdin?.on('error', () => {});
    child.stdin?.end(input);
  });
}

interface Counters {
  /** Packets through each endpoint chain: NAT sees a connection's first packet only, so new connections. */
  readonly connections: Record<string, number>;
  /** Bytes each pod sent back. */
  readonly replyBytes: Record<string, number>;
}

/** Reads the endpoint and reply counters from `nft -j list table`. */
export function parseCounters(json: string): Counters {
  const connections: Record<string, number> = {};
  const replyBytes: Record<string, number> = {};
  const parsed = JSON.parse(json) as { nftables?: { rule?: NftRule }[] };
  for (const item of parsed.nftables ?? []) {
    const rule = item.rule;
    if (rule === undefined) continue;
    const counter = rule.expr?.find((expr) => expr.counter !== undefined)?.counter;
    if (counter === undefined) continue;
    if (rule.chain.startsWith('endpoint-'))
      connections[rule.chain.slice('endpoint-'.length)] = counter.packets;
    else if (rule.chain === 'replies' && rule.comment !== undefined) replyBytes[rule.comment] = counter.bytes;
  }
  return { connections, replyBytes };
}

interface NftRule {
  readonly chain: string;
  readonly comment?: string;
  readonly expr?: { counter?: { packets: number; bytes: number } }[];
}

/** Established TCP connections whose local end is host:port (the pod's side), from /proc/net/tcp. */
export function tcpConnections(): { local: string; remotePort: number; state: string }[] {
  let text = '';
  try {
    text = readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return [];
  }
  const rows: { local: string; remotePort: number; state: string }[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cells = line.trim().split(/\s+/);
    if (cells.length < 4) continue;
    const [localHex, remoteHex, state] = [cells[1] ?? '', cells[2] ?? '', cells[3] ?? ''];
    rows.push({
      local: hexAddress(localHex),
      remotePort: Number.parseInt(remoteHex.split(':')[1] ?? '0', 16),
      state,
    });
  }
  return rows;
}

/** `0101007F:1F91` → `127.0.1.1:8081` (the address is little-endian). */
function hexAddress(hex: string): string {
  const [ip = '', port = '0'] = hex.split(':');
  const bytes = [6, 4, 2, 0].map((at) => Number.parseInt(ip.slice(at, at + 2), 16));
  return `${bytes.join('.')}:${Number.parseInt(port, 16)}`;
}

const ESTABLISHED = '01';

export const nftablesBalancer: BalancerFactory = async ({ replicas, replacement, timeline }) => {
  const all: NftEndpoint[] = replicas.map((replica) => ({
    name: replica.name,
    host: replica.host,
    port: replica.port,
  }));
  if (replacement !== undefined) all.push(replacement);
  const ready = new Set(replicas.map((replica) => replica.name));
  /** Terminating endpoints and their `serving` condition. */
  const terminating = new Map<string, boolean>();
  let fallback: { pods: string[]; since: number; connectionsAtStart: Counters } | undefined;
  const fallbackNotes: string[] = [];
  const byAddress = new Map(all.map((endpoint) => [`${endpoint.host}:${endpoint.port}`, endpoint.name]));

  const read = async (): Promise<Counters> =>
    parseCounters(await nft('', ['-j', 'list', 'table', 'ip', TABLE]).catch(() => '{}'));

  const targets = (): { names: string[]; fallback: boolean } => {
    if (ready.size > 0) return { names: [...ready], fallback: false };
    const serving = [...terminating].filter(([, isServing]) => isServing).map(([name]) => name);
    return { names: serving, fallback: serving.length > 0 };
  };

  // One rule change at a time, in order: each one reads the state the previous one left.
  let queue: Promise<void> = Promise.resolve();
  const program = (): Promise<void> => {
    queue = queue.then(apply, apply);
    return queue;
  };
  const apply = async (): Promise<void> => {
    const next = targets();
    await nft(
      [
        `flush chain ip ${TABLE} service`,
        `flush chain ip ${TABLE} no-endpoints`,
        ...serviceRules(next.names).map((rule) => `add rule ip ${TABLE} service ${rule.trim()}`),
        ...noEndpointRules(next.names).map((rule) => `add rule ip ${TABLE} no-endpoints ${rule.trim()}`),
        '',
      ].join('\n'),
    );
    const now = performance.now();
    if (next.fallback && fallback === undefined) {
      fallback = { pods: next.names, since: now, connectionsAtStart: await read() };
      timeline.mark(
        'endpoint-removed',
        `no ready endpoint left: KEP-1669 fallback to the terminating, still serving ${next.names.join(', ')}`,
      );
    } else if (!next.fallback && fallback !== undefined) {
      const counters = await read();
      const sent = fallback.pods
        .map((pod) => (counters.connections[pod] ?? 0) - (fallback?.connectionsAtStart.connections[pod] ?? 0))
        .reduce((a, b) => a + b, 0);
      fallbackNotes.push(
        `KEP-1669 fallback: ${plural(sent, 'new connection')} went to the terminating ${fallback.pods.join(', ')} for ${Math.round(now - fallback.since)} ms, while no endpoint was ready and it was still serving`,
      );
      fallback = undefined;
      if (next.names.length === 0)
        timeline.mark('endpoint-removed', 'no serving endpoint left: new connections are rejected');
    }
  };

  await nft(nftablesRuleset(all, targets().names));
  let atDeletion: Counters | undefined;
  const removedAt = new Map<string, { open: number; replyBytes: number; connections: number }>();

  return {
    host: SERVICE_HOST,
    port: SERVICE_PORT,
    description: `nftables (kube-proxy nftables mode, kernel DNAT + conntrack) on Service ${SERVICE_HOST}:${SERVICE_PORT} in its own network namespace; pods ${all.map((endpoint) => `${endpoint.name} ${endpoint.host}:${endpoint.port}`).join(', ')}`,
    pinHeaders: () => ({}),
    async podOf(clientPort) {
      const deadline = performance.now() + 1000;
      while (performance.now() < deadline) {
        for (const row of tcpConnections()) {
          const pod = byAddress.get(row.local);
          if (pod !== undefined && row.remotePort === clientPort) return pod;
        }
        await sleep(5);
      }
      return undefined;
    },
    async add(pod) {
      ready.add(pod.name);
      await program();
    },
    async deleted() {
      atDeletion = await read();
    },
    async remove(pod) {
      ready.delete(pod);
      // Deleted, so terminating; serving until its readiness probe says otherwise.
      if (!terminating.has(pod)) terminating.set(pod, true);
      const endpoint = all.find((candidate) => candidate.name === pod);
      const address = endpoint === undefined ? '' : `${endpoint.host}:${endpoint.port}`;
      const open = tcpConnections().filter(
        (row) => row.local === address && row.state === ESTABLISHED,
      ).length;
      await program();
      // After the new rules are in: from here on, no new connection can count for this pod.
      const counters = await read();
      removedAt.set(pod, {
        open,
        replyBytes: counters.replyBytes[pod] ?? 0,
        connections: counters.connections[pod] ?? 0,
      });
    },
    async notServing(pod) {
      terminating.set(pod, false);
      await program();
    },
    async stats(): Promise<BalancerStats> {
      const counters = await read();
      const after: Record<string, number> = {};
      for (const [name, count] of Object.entries(counters.connections)) {
        const delta = count - (atDeletion?.connections[name] ?? 0);
        if (atDeletion !== undefined && delta > 0) after[name] = delta;
      }
      const notes = [...fallbackNotes];
      if (fallback !== undefined) {
        notes.push(
          `KEP-1669 fallback: still sending new connections to the terminating ${fallback.pods.join(', ')} at the end of the run`,
        );
      }
      return {
        connections: counters.connections,
        refusedByPod: {},
        connectionsAfterDeletion: after,
        afterRemoval: Object.fromEntries(
          [...removedAt].map(([name, at]) => [
            name,
            {
              open: at.open,
              bytesFromPod: (counters.replyBytes[name] ?? 0) - at.replyBytes,
              newConnections: (counters.connections[name] ?? 0) - at.connections,
            },
          ]),
        ),
        notes,
      };
    },
    async close() {
      await nft('', ['delete', 'table', 'ip', TABLE]).catch(() => undefined);
    },
  };
};

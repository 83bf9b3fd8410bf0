import { ErrorCodes, LameduckError } from '@lameduck/core';
import { netnsSupport } from './netns.js';
import type { BalancerMode, LoadKind, LoadProfile, PreStop, SimulationOptions } from './types.js';

/** Every balancer `--lb` takes. */
export const BALANCER_MODES: readonly BalancerMode[] = Object.freeze([
  'nftables',
  'kube-proxy',
  'haproxy',
  'nginx',
]);

/** The only place the simulator's defaults are written. */
export const SIMULATE_DEFAULTS = Object.freeze({
  replicas: 2,
  readinessPath: '/readyz',
  startTimeoutMs: 20_000,
  /** kube-proxy's nftables mode on the kernel; `kube-proxy` (user space) where unshare or nft is missing. */
  lb: 'nftables' as BalancerMode,
  lagMs: 1000,
  gracePeriodSeconds: 30,
  connections: 8,
  rate: 100,
  newConnectionRate: 10,
  slowRatio: 0.2,
  slowMs: 300,
  load: 'steady' as LoadProfile,
  protocol: 'http' as LoadKind,
  deleteAfterMs: 1500,
  afterExitMs: 1000,
  webSockets: 0,
  sseStreams: 0,
  haproxyPath: 'haproxy',
  nginxPath: 'nginx',
  method: 'GET' as 'GET' | 'POST',
  thinkMs: 0,
  slowPath: '/slow',
});

/** Upper bounds that keep every run bounded in time and count. */
export const LIMITS = Object.freeze({
  replicas: 10,
  connections: 5000,
  rate: 5000,
  durationMs: 600_000,
  gracePeriodSeconds: 600,
  /** WebSockets and SSE streams each. */
  longLived: 5000,
});

export interface ResolvedSimulation {
  readonly command: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly replicas: number;
  readonly readinessPath: string;
  readonly startTimeoutMs: number;
  readonly lb: BalancerMode;
  /** Set when the default balancer could not run here and another one runs instead, and why. */
  readonly lbNote: string | undefined;
  readonly lagMs: number | null;
  readonly preStop: PreStop | undefined;
  readonly gracePeriodSeconds: number;
  readonly replace: boolean;
  readonly protocol: LoadKind;
  readonly connections: number;
  readonly rate: number;
  readonly newConnectionRate: number;
  readonly slowRatio: number;
  readonly slowMs: number;
  readonly load: LoadProfile;
  readonly deleteAfterMs: number;
  readonly afterExitMs: number;
  readonly durationMs: number | null;
  readonly longRequestMs: number | null;
  readonly requestTimeoutMs: number;
  readonly webSockets: number;
  readonly socketIo: boolean;
  readonly sseStreams: number;
  readonly haproxyPath: string;
  readonly nginxPath: string;
  readonly method: 'GET' | 'POST';
  readonly thinkMs: number;
  readonly slowPath: string;
}

/** Describes a value for an error message: `a string ("5s")`, `a number (-1)`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `an array (${JSON.stringify(value)})`;
  if (typeof value === 'string') return `a string (${JSON.stringify(value)})`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value === 'number' ? 'a number' : typeof value} (${String(value)})`;
}

function invalid(name: string, expected: string, value: unknown): LameduckError {
  return new LameduckError(
    ErrorCodes.INVALID_OPTION,
    `lameduck simulate: option \`${name}\` expects ${expected}, instead got ${describeValue(value)}.`,
  );
}

function number(
  options: SimulationOptions,
  name: keyof SimulationOptions,
  fallback: number,
  { min = 0, max = Number.MAX_SAFE_INTEGER, integer = true } = {},
): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalid(String(name), `${integer ? 'a whole number' : 'a number'} from ${min} to ${max}`, value);
  }
  if (integer && !Number.isInteger(value))
    throw invalid(String(name), `a whole number from ${min} to ${max}`, value);
  return value;
}

function optionalNumber(
  options: SimulationOptions,
  name: keyof SimulationOptions,
  max: number,
): number | null {
  return options[name] === undefined ? null : number(options, name, 0, { max });
}

function path(name: string, value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || /\s/.test(value)) {
    throw invalid(name, "a path that starts with '/' (such as '/readyz')", value);
  }
  return value;
}

function preStop(value: unknown, gracePeriodSeconds: number): PreStop | undefined {
  if (value === undefined) return undefined;
  const candidate = value as Record<string, unknown> | null;
  if (candidate !== null && typeof candidate === 'object' && 'sleepSeconds' in candidate) {
    const seconds = candidate.sleepSeconds;
    if (
      typeof seconds !== 'number' ||
      !Number.isInteger(seconds) ||
      seconds < 0 ||
      seconds > gracePeriodSeconds
    ) {
      // Kubernetes rejects a preStop sleep longer than the grace period.
      throw invalid(
        'preStop.sleepSeconds',
        `a whole number of seconds from 0 to the grace period (${gracePeriodSeconds})`,
        seconds,
      );
    }
    return { sleepSeconds: seconds };
  }
  if (candidate !== null && typeof candidate === 'object' && 'httpGetPath' in candidate) {
    return { httpGetPath: path('preStop.httpGetPath', candidate.httpGetPath) };
  }
  throw invalid('preStop', '{ sleepSeconds } or { httpGetPath }', value);
}

/** Validates the options once and builds a new resolved object with every default filled in. */
export function resolveSimulation(options: SimulationOptions): ResolvedSimulation {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'an object', options);
  const command = options.command as unknown;
  if (
    !Array.isArray(command) ||
    command.length === 0 ||
    !command.every((part) => typeof part === 'string' && part !== '')
  ) {
    throw invalid(
      'command',
      "the replica's argv as a non-empty array of strings, such as ['node', 'server.js']",
      command,
    );
  }
  let lbNote: string | undefined;
  let lb = options.lb;
  if (lb === undefined) {
    const netns = netnsSupport();
    lb = netns.available ? SIMULATE_DEFAULTS.lb : 'kube-proxy';
    if (!netns.available)
      lbNote = `the default balancer, nftables, cannot run here (${netns.reason}); running --lb kube-proxy, the user-space stand-in, instead`;
  }
  if (!BALANCER_MODES.includes(lb))
    throw invalid('lb', BALANCER_MODES.map((mode) => `'${mode}'`).join(', '), lb);
  const protocol = options.protocol ?? SIMULATE_DEFAULTS.protocol;
  if (protocol !== 'http' && protocol !== 'h2') throw invalid('protocol', "'http' or 'h2'", protocol);
  if (protocol === 'h2' && (lb === 'haproxy' || lb === 'nginx')) {
    throw new LameduckError(
      ErrorCodes.INVALID_OPTION,
      "lameduck simulate: protocol 'h2' needs an L4 balancer (lb 'nftables' or 'kube-proxy'): HAProxy and nginx would terminate HTTP/2 themselves, so the replicas would never see the client's sessions.",
    );
  }
  if (protocol === 'h2' && options.longRequestMs !== undefined) {
    throw new LameduckError(
      ErrorCodes.INVALID_OPTION,
      "lameduck simulate: longRequestMs sends an HTTP/1.1 request; with protocol 'h2' leave it out (slow streams are part of the load: slowMs, slowRatio).",
    );
  }
  const method = options.method ?? SIMULATE_DEFAULTS.method;
  if (method !== 'GET' && method !== 'POST') throw invalid('method', "'GET' or 'POST'", method);
  const load = options.load ?? SIMULATE_DEFAULTS.load;
  if (load !== 'steady' && load !== 'idle') throw invalid('load', "'steady' or 'idle'", load);
  if (options.env !== undefined) {
    for (const [key, value] of Object.entries(options.env)) {
      if (typeof value !== 'string') throw invalid(`env.${key}`, 'a string', value);
    }
  }
  const gracePeriodSeconds = number(options, 'gracePeriodSeconds', SIMULATE_DEFAULTS.gracePeriodSeconds, {
    min: 1,
    max: LIMITS.gracePeriodSeconds,
  });
  const slowMs = number(options, 'slowMs', SIMULATE_DEFAULTS.slowMs, { max: 60_000 });
  const longRequestMs = optionalNumber(options, 'longRequestMs', 60_000);
  const lagDefault = lb === 'haproxy' ? null : SIMULATE_DEFAULTS.lagMs;
  return Object.freeze({
    command: Object.freeze([...(command as string[])]),
    cwd: options.cwd ?? process.cwd(),
    env: Object.freeze({ ...options.env }),
    replicas: number(options, 'replicas', SIMULATE_DEFAULTS.replicas, { min: 1, max: LIMITS.replicas }),
    readinessPath: path('readinessPath', options.readinessPath ?? SIMULATE_DEFAULTS.readinessPath),
    startTimeoutMs: number(options, 'startTimeoutMs', SIMULATE_DEFAULTS.startTimeoutMs, {
      min: 100,
      max: 300_000,
    }),
    lb,
    lbNote,
    lagMs: options.lagMs === undefined ? lagDefault : number(options, 'lagMs', 0, { max: LIMITS.durationMs }),
    preStop: preStop(options.preStop, gracePeriodSeconds),
    gracePeriodSeconds,
    replace: options.replace ?? false,
    protocol,
    connections: number(options, 'connections', SIMULATE_DEFAULTS.connections, {
      min: 1,
      max: LIMITS.connections,
    }),
    rate: number(options, 'rate', SIMULATE_DEFAULTS.rate, { max: LIMITS.rate, integer: false }),
    newConnectionRate: number(options, 'newConnectionRate', SIMULATE_DEFAULTS.newConnectionRate, {
      max: LIMITS.rate,
      integer: false,
    }),
    slowRatio: number(options, 'slowRatio', SIMULATE_DEFAULTS.slowRatio, { max: 1, integer: false }),
    slowMs,
    load,
    deleteAfterMs: number(options, 'deleteAfterMs', SIMULATE_DEFAULTS.deleteAfterMs, {
      max: LIMITS.durationMs,
    }),
    afterExitMs: number(options, 'afterExitMs', SIMULATE_DEFAULTS.afterExitMs, { max: LIMITS.durationMs }),
    durationMs: optionalNumber(options, 'durationMs', LIMITS.durationMs),
    longRequestMs,
    requestTimeoutMs: number(options, 'requestTimeoutMs', 10_000 + Math.max(slowMs, longRequestMs ?? 0), {
      min: 1,
      max: LIMITS.durationMs,
    }),
    webSockets: number(options, 'webSockets', SIMULATE_DEFAULTS.webSockets, { max: LIMITS.longLived }),
    socketIo: options.socketIo ?? false,
    sseStreams: number(options, 'sseStreams', SIMULATE_DEFAULTS.sseStreams, { max: LIMITS.longLived }),
    haproxyPath: options.haproxyPath ?? SIMULATE_DEFAULTS.haproxyPath,
    nginxPath: options.nginxPath ?? SIMULATE_DEFAULTS.nginxPath,
    method,
    thinkMs: number(options, 'thinkMs', SIMULATE_DEFAULTS.thinkMs, { max: 600_000 }),
    slowPath: path('slowPath', options.slowPath ?? SIMULATE_DEFAULTS.slowPath),
  });
}

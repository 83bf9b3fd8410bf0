import { ErrorCodes, LameduckError } from '@lameduck/core';
import { splitCommandLine } from './command-line.js';
import { BALANCER_MODES, SIMULATE_DEFAULTS } from './options.js';
import type { BalancerMode, LoadKind, PreStop, SimulationOptions } from './types.js';

/** Simulation options from the command line; `command` is missing when `--example` is used. */
export type CliSimulationOptions = Omit<SimulationOptions, 'command'> & {
  readonly command?: readonly string[];
};

/** What the command line asked for. */
export type CliRequest =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | {
      readonly kind: 'simulate';
      readonly options: CliSimulationOptions;
      readonly example?: string;
      readonly drainDelayMs?: number;
      readonly json: boolean;
      readonly quiet: boolean;
      readonly verbose: boolean;
    };

type Kind = 'flag' | 'int' | 'number' | 'string' | 'list';

/** Every option `lameduck simulate` takes, with its value kind and its help line. */
const SPEC: Readonly<Record<string, { kind: Kind; help: string }>> = {
  '--example': {
    kind: 'string',
    help: '<name|all>  run against an example of this repo: node-http, express, koa, fastify, nestjs-express, nestjs-fastify, nestjs-socketio',
  },
  '--replicas': {
    kind: 'int',
    help: `<n>  replicas before the deletion (default ${SIMULATE_DEFAULTS.replicas})`,
  },
  '--readiness-path': {
    kind: 'string',
    help: `<path>  readiness probe (default ${SIMULATE_DEFAULTS.readinessPath})`,
  },
  '--start-timeout-ms': {
    kind: 'int',
    help: `<ms>  time for a replica to become ready (default ${SIMULATE_DEFAULTS.startTimeoutMs})`,
  },
  '--lb': {
    kind: 'string',
    help: '<nftables|kube-proxy|haproxy|nginx>  balancer in front of the replicas (default nftables: kube-proxy rules on the kernel in a namespace of its own; kube-proxy, a user-space stand-in, where unshare or nft is missing)',
  },
  '--lag-ms': {
    kind: 'int',
    help: `<ms>  endpoint propagation lag after the deletion (default ${SIMULATE_DEFAULTS.lagMs}; haproxy: health checks only)`,
  },
  '--grace-period': {
    kind: 'int',
    help: `<s>  terminationGracePeriodSeconds, preStop included (default ${SIMULATE_DEFAULTS.gracePeriodSeconds})`,
  },
  '--prestop-sleep': { kind: 'int', help: '<s>  preStop sleep action' },
  '--prestop-http': { kind: 'string', help: '<path>  preStop httpGet on this path' },
  '--replace': { kind: 'flag', help: 'start a replacement replica first (maxUnavailable: 0)' },
  '--protocol': {
    kind: 'string',
    help: "<http|h2>  h2: HTTP/2 cleartext streams with node's http2 client (default http; an L4 balancer only)",
  },
  '--connections': {
    kind: 'int',
    help: `<n>  keep-alive connections of the client pool (default ${SIMULATE_DEFAULTS.connections})`,
  },
  '--rate': { kind: 'number', help: `<req/s>  request rate (default ${SIMULATE_DEFAULTS.rate})` },
  '--new-connection-rate': {
    kind: 'number',
    help: `<req/s>  requests that each open a new connection (default ${SIMULATE_DEFAULTS.newConnectionRate})`,
  },
  '--slow-ratio': {
    kind: 'number',
    help: `<0..1>  share of slow requests (default ${SIMULATE_DEFAULTS.slowRatio})`,
  },
  '--slow-ms': {
    kind: 'int',
    help: `<ms>  duration of a slow request, GET /slow?ms=N (default ${SIMULATE_DEFAULTS.slowMs})`,
  },
  '--method': {
    kind: 'string',
    help: '<GET|POST>  POST: a small JSON body to POST /, echoed by the service, never retried (default GET)',
  },
  '--think-ms': {
    kind: 'int',
    help: '<ms>  each keep-alive connection waits an exponential think time of this mean between requests, instead of --rate',
  },
  '--slow-path': {
    kind: 'string',
    help: `<path>  the slow route, GET <path>?ms=N (default ${SIMULATE_DEFAULTS.slowPath}; checked before the run)`,
  },
  '--idle': { kind: 'flag', help: 'keep-alive connections stay idle during the deletion (no steady load)' },
  '--long-request-ms': {
    kind: 'int',
    help: '<ms>  one request of this length in flight on the pod at deletion',
  },
  '--delete-after-ms': {
    kind: 'int',
    help: `<ms>  load before the deletion (default ${SIMULATE_DEFAULTS.deleteAfterMs})`,
  },
  '--after-exit-ms': {
    kind: 'int',
    help: `<ms>  load after the pod exited (default ${SIMULATE_DEFAULTS.afterExitMs})`,
  },
  '--duration-ms': { kind: 'int', help: '<ms>  stop the load after this long, whatever the pod does' },
  '--request-timeout-ms': {
    kind: 'int',
    help: '<ms>  client headers/body timeout (default 10000 + longest request)',
  },
  '--websockets': {
    kind: 'int',
    help: `<n>  WebSocket clients on /ws (echo), reconnecting with back-off (default ${SIMULATE_DEFAULTS.webSockets})`,
  },
  '--socket-io': { kind: 'flag', help: 'the --websockets clients speak socket.io (path /ws)' },
  '--sse': {
    kind: 'int',
    help: `<n>  SSE readers on /events, reconnecting after retry: (default ${SIMULATE_DEFAULTS.sseStreams})`,
  },
  '--env': { kind: 'list', help: '<KEY=VALUE>  environment for the replicas (repeatable)' },
  '--drain-delay-ms': {
    kind: 'int',
    help: '<ms>  sets LAMEDUCK_DRAIN_DELAY_MS for the replicas (--example: 3000)',
  },
  '--haproxy': { kind: 'string', help: '<path>  HAProxy binary (default haproxy)' },
  '--nginx': { kind: 'string', help: `<path>  nginx binary (default ${SIMULATE_DEFAULTS.nginxPath})` },
  '--json': { kind: 'flag', help: 'print the report as JSON on stdout' },
  '--quiet': { kind: 'flag', help: 'no progress output' },
  '--verbose': { kind: 'flag', help: "show the replicas' output" },
  '--help': { kind: 'flag', help: 'this help' },
};

/** The help text of `lameduck simulate`. */
export function helpText(): string {
  const width = 22;
  const options = Object.entries(SPEC).map(([name, { help }]) => {
    const [argument, ...rest] = help.startsWith('<') ? help.split('  ') : ['', help];
    const left = `${name}${argument ? ` ${argument}` : ''}`;
    return `  ${left.padEnd(width + 12)} ${rest.join('  ')}`;
  });
  return [
    'Usage: lameduck simulate [options] -- <command that starts one replica>',
    '       lameduck simulate --example <name|all> [options]',
    '       lameduck --version',
    '       lameduck doctor [--format human|json|sarif] [paths…]   (lameduck doctor --help)',
    '',
    'Starts replicas of your service as containers (PID 1 of a PID namespace each), puts a',
    "balancer in front (kube-proxy's nftables rules, a user-space kube-proxy, or HAProxy),",
    'drives keep-alive load, deletes one pod the way the kubelet does, and reports every failed',
    'request. Exit code 0: no request failed and the pod exited by itself; 1: otherwise; 2: bad',
    'arguments; 130: interrupted (Ctrl-C). The command runs without a shell with PORT and',
    'HOST=127.0.0.1 set.',
    '',
    'Options:',
    ...options,
    '',
    'Examples:',
    '  lameduck simulate --drain-delay-ms 3000 -- node server.js',
    '  lameduck simulate --lb haproxy --drain-delay-ms 3000 -- node dist/main.js',
    '  lameduck simulate --prestop-sleep 5 --drain-delay-ms 3000 --json -- node server.js',
  ].join('\n');
}

export function usageError(message: string): LameduckError {
  return new LameduckError(
    ErrorCodes.INVALID_OPTION,
    `lameduck simulate: ${message}\nRun \`lameduck simulate --help\` for the options.`,
  );
}

function parseValue(name: string, kind: Kind, raw: string | undefined): string | number {
  if (raw === undefined || (raw.startsWith('--') && kind !== 'string')) {
    throw usageError(`${name} expects a value, instead got nothing.`);
  }
  if (kind === 'int') {
    if (!/^\d+$/.test(raw))
      throw usageError(`${name} expects a whole number ≥ 0, instead got ${JSON.stringify(raw)}.`);
    return Number(raw);
  }
  if (kind === 'number') {
    if (!/^\d+(\.\d+)?$/.test(raw))
      throw usageError(`${name} expects a number ≥ 0, instead got ${JSON.stringify(raw)}.`);
    return Number(raw);
  }
  return raw;
}

/**
 * Parses `lameduck <command> …` (without `node` and the script). Throws a LameduckError with
 * code LAMEDUCK_INVALID_OPTION on bad arguments; the CLI turns it into exit code 2.
 */
export function parseArgs(argv: readonly string[]): CliRequest {
  const [subcommand, ...rest] = argv;
  if (subcommand === undefined)
    throw usageError('expected a command, such as `lameduck simulate -- node server.js`.');
  if (subcommand === '--help' || subcommand === '-h' || subcommand === 'help') return { kind: 'help' };
  if (subcommand === '--version' || subcommand === '-v') return { kind: 'version' };
  if (subcommand !== 'simulate') {
    throw usageError(
      `unknown command ${JSON.stringify(subcommand)}; the commands are \`simulate\` and \`doctor\`.`,
    );
  }
  const separator = rest.indexOf('--');
  const flags = separator === -1 ? rest : rest.slice(0, separator);
  const after = separator === -1 ? [] : rest.slice(separator + 1);

  const values = new Map<string, string | number | true | string[]>();
  for (let i = 0; i < flags.length; i += 1) {
    const token = flags[i] as string;
    if (token === '-h') return { kind: 'help' };
    if (!token.startsWith('--')) {
      throw usageError(
        `unexpected argument ${JSON.stringify(token)}. Put the command that starts your service after \`--\`, such as \`lameduck simulate -- node server.js\`.`,
      );
    }
    const eq = token.indexOf('=');
    const name = eq === -1 ? token : token.slice(0, eq);
    const spec = SPEC[name];
    if (spec === undefined) throw usageError(`unknown option ${name}.`);
    if (spec.kind === 'flag') {
      if (eq !== -1) throw usageError(`${name} takes no value.`);
      values.set(name, true);
      continue;
    }
    const raw = eq === -1 ? flags[++i] : token.slice(eq + 1);
    const value = parseValue(name, spec.kind, raw);
    if (spec.kind === 'list') {
      const list = (values.get(name) as string[] | undefined) ?? [];
      list.push(String(value));
      values.set(name, list);
    } else {
      if (values.has(name)) throw usageError(`${name} was given twice.`);
      values.set(name, value);
    }
  }
  if (values.has('--help')) return { kind: 'help' };

  const example = values.get('--example') as string | undefined;
  let command: string[] | undefined;
  if (after.length === 1 && /\s/.test(after[0] ?? '')) command = splitCommandLine(after[0] as string);
  else if (after.length > 0) command = [...after];
  if (example !== undefined && command !== undefined) {
    throw usageError('give either --example or a command after `--`, not both.');
  }
  if (example === undefined && (command === undefined || command.length === 0)) {
    throw usageError(
      'expected the command that starts one replica after `--`, such as `lameduck simulate -- node server.js`.',
    );
  }

  const env: Record<string, string> = {};
  for (const pair of (values.get('--env') as string[] | undefined) ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw usageError(`--env expects KEY=VALUE, instead got ${JSON.stringify(pair)}.`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const drainDelayMs = values.get('--drain-delay-ms') as number | undefined;

  const protocol = values.get('--protocol');
  if (protocol !== undefined && protocol !== 'http' && protocol !== 'h2') {
    throw usageError(`--protocol expects http or h2, instead got ${JSON.stringify(protocol)}.`);
  }
  const lb = values.get('--lb');
  if (lb !== undefined && !BALANCER_MODES.includes(lb as BalancerMode)) {
    throw usageError(`--lb expects ${BALANCER_MODES.join(', ')}, instead got ${JSON.stringify(lb)}.`);
  }
  const sleep = values.get('--prestop-sleep') as number | undefined;
  const httpGet = values.get('--prestop-http') as string | undefined;
  if (sleep !== undefined && httpGet !== undefined) {
    throw usageError(
      'give either --prestop-sleep or --prestop-http, not both (a pod has one preStop handler).',
    );
  }
  const preStop: PreStop | undefined =
    sleep !== undefined
      ? { sleepSeconds: sleep }
      : httpGet !== undefined
        ? { httpGetPath: httpGet }
        : undefined;
  const method = values.get('--method') as string | undefined;
  if (method !== undefined && method !== 'GET' && method !== 'POST') {
    throw usageError(`--method expects GET or POST, instead got ${JSON.stringify(method)}.`);
  }
  const slowRatio = values.get('--slow-ratio') as number | undefined;
  if (slowRatio !== undefined && slowRatio > 1) {
    throw usageError(`--slow-ratio expects a share from 0 to 1, instead got ${slowRatio}.`);
  }

  const pick = <T>(name: string) => values.get(name) as T | undefined;
  const options: Record<string, unknown> = {
    command,
    env,
    replicas: pick<number>('--replicas'),
    readinessPath: pick<string>('--readiness-path'),
    startTimeoutMs: pick<number>('--start-timeout-ms'),
    lb,
    lagMs: pick<number>('--lag-ms'),
    gracePeriodSeconds: pick<number>('--grace-period'),
    preStop,
    replace: values.has('--replace') ? true : undefined,
    protocol: pick<LoadKind>('--protocol'),
    connections: pick<number>('--connections'),
    webSockets: pick<number>('--websockets'),
    sseStreams: pick<number>('--sse'),
    socketIo: values.has('--socket-io') ? true : undefined,
    rate: pick<number>('--rate'),
    newConnectionRate: pick<number>('--new-connection-rate'),
    slowRatio,
    slowMs: pick<number>('--slow-ms'),
    slowPath: pick<string>('--slow-path'),
    method,
    thinkMs: pick<number>('--think-ms'),
    load: values.has('--idle') ? 'idle' : undefined,
    longRequestMs: pick<number>('--long-request-ms'),
    deleteAfterMs: pick<number>('--delete-after-ms'),
    afterExitMs: pick<number>('--after-exit-ms'),
    durationMs: pick<number>('--duration-ms'),
    requestTimeoutMs: pick<number>('--request-timeout-ms'),
    haproxyPath: pick<string>('--haproxy'),
    nginxPath: pick<string>('--nginx'),
  };
  for (const key of Object.keys(options)) if (options[key] === undefined) delete options[key];
  return {
    kind: 'simulate',
    options: options as CliSimulationOptions,
    ...(example === undefined ? {} : { example }),
    ...(drainDelayMs === undefined ? {} : { drainDelayMs }),
    json: values.has('--json'),
    quiet: values.has('--quiet'),
    verbose: values.has('--verbose'),
  };
}

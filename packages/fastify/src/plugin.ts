import {
  attachProbesInFront,
  bridgeFrameworkLogger,
  createLameduck,
  describeValue,
  ErrorCodes,
  type Lameduck,
  LameduckError,
  type LameduckOptions,
  resolveOptions,
  resolveProbePaths,
} from '@lameduck/core';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { wireCloseSequence } from './close-sequence.js';
import { registerProbeRoutes } from './probe-routes.js';
import type { LameduckFastifyOptions } from './types.js';
import { trackDecoratedWebSockets } from './websockets.js';

/** Options Fastify's `register()` itself reads; they are not lameduck's. */
const REGISTER_KEYS: ReadonlySet<string> = new Set(['prefix', 'logLevel', 'logSerializers']);

/** The plugin's own options, listed with the core's when an option is unknown. */
const FASTIFY_KEYS: readonly string[] = [
  'readinessPath',
  'livenessPath',
  'preStopPath',
  'probeLogLevel',
  'probesInApp',
];

function splitOptions(options: LameduckFastifyOptions) {
  const { readinessPath, livenessPath, preStopPath, adminOnly, probeLogLevel, probesInApp, ...rest } =
    options;
  const core: LameduckOptions = Object.fromEntries(
    Object.entries(rest).filter(([key, value]) => !REGISTER_KEYS.has(key) && value !== undefined),
  );
  return {
    core,
    paths: resolveProbePaths({ readinessPath, livenessPath, preStopPath, adminOnly }),
    probeLogLevel,
    probesInApp: checkProbesInApp(probesInApp),
  };
}

function checkProbesInApp(value: unknown): boolean {
  if (value === undefined || typeof value === 'boolean') return value === true;
  throw new LameduckError(
    ErrorCodes.INVALID_OPTION,
    `@lameduck/fastify: probesInApp expects true or false, instead got ${describeValue(value)}. Leave it out to answer the probes in front of Fastify; true serves them as Fastify routes (app.inject() reaches them).`,
  );
}

const lameduckFastify: FastifyPluginAsync<LameduckFastifyOptions> = async (fastify, options) => {
  if (fastify.hasDecorator('lameduck')) {
    throw new LameduckError(
      ErrorCodes.MISUSE,
      '@lameduck/fastify: the plugin is registered twice on the same instance (app.lameduck already exists). Register it once, on the root instance.',
    );
  }
  const { core, paths, probeLogLevel, probesInApp } = splitOptions(options);
  // Validate the caller's options as given, before `exit` is wrapped below.
  resolveOptions(core, { adapter: '@lameduck/fastify', adapterKeys: FASTIFY_KEYS });
  const exit = core.exit ?? ((code: number) => process.exit(code));
  let closeStartedShutdown = false;
  const lameduck: Lameduck = createLameduck({
    // Fastify's logger (pino) at the same levels; with Fastify's default (logger off), warnings
    // and the summary still reach stderr. `logger: silentLogger` silences lameduck.
    logger: bridgeFrameworkLogger(fastify.log, {
      isOff: () => fastifyLoggerOff(fastify),
      ...(core.env ? { env: core.env } : {}),
    }),
    ...core,
    exit: (code) => {
      // When `app.close()` started the sequence, its caller owns the process: the code after
      // `await app.close()` runs, nothing exits under it. Force exits and the deadline still exit.
      if (closeStartedShutdown && lameduck.state === 'stopped') return;
      exit(code);
    },
  });
  lameduck.once('stopped', () => {
    if (closeStartedShutdown) queueMicrotask(() => lameduck.dispose());
  });

  fastify.decorate('lameduck', lameduck);
  // The probes in front of Fastify, on its server: no route, hook or request object is spent on
  // them, and the app's requests pay for no probe route. As routes where the app asks for them
  // (`app.inject()` never goes through the server) or where lameduck cannot stand in front.
  const inFront = !probesInApp && attachProbesInFront(lameduck, fastify.server, paths);
  if (!inFront) {
    if (probesInApp) lameduck.attach(fastify.server);
    registerProbeRoutes(fastify, lameduck, paths, probeLogLevel ?? 'warn');
  }

  wireCloseSequence(fastify, lameduck, () => {
    closeStartedShutdown = true;
  });
  trackDecoratedWebSockets(fastify, lameduck);
  fastify.addHook('onListen', async () => warnOnSeveralAddresses(fastify));
};

/** `listen({ host: 'localhost' })` binds extra servers Fastify keeps to itself: they cannot drain. */
function warnOnSeveralAddresses(fastify: FastifyInstance): void {
  const addresses = fastify.addresses();
  if (addresses.length <= 1) return;
  fastify.log.warn(
    { addresses },
    `lameduck: the app listens on ${addresses.length} addresses; only the first one drains and answers the probes. Listen on one host, such as '0.0.0.0' (a pod) or '127.0.0.1'.`,
  );
}

/**
 * The lameduck plugin for Fastify 5: the probes, readiness, and a shutdown that drains HTTP
 * through Fastify's own close sequence before the app's `onClose` hooks run.
 *
 * @example
 * const app = Fastify({ logger: true });
 * await app.register(lameduck, { drainDelayMs: 5000 });
 * app.addHook('onClose', () => pool.end());
 * await app.listen({ port: 3000, host: '0.0.0.0' });
 */
export const lameduck = fp(lameduckFastify, { fastify: '5.x', name: '@lameduck/fastify' });

/** Fastify's logger is off (its default): a logger without a level, or level 'silent'. */
function fastifyLoggerOff(fastify: FastifyInstance): boolean {
  const log = fastify.log as { level?: unknown };
  return typeof log.level !== 'string' || log.level === 'silent';
}

import type { Lameduck, LameduckOptions, ProbePaths } from '@lameduck/core';
import type { LogLevel } from 'fastify';

/** Options of `app.register(lameduck, options)`: every core option plus where the probes live. */
export interface LameduckFastifyOptions extends LameduckOptions, ProbePaths {
  /**
   * Serve the probes as Fastify routes (`GET` and `HEAD`), inside the app: `app.inject()` then
   * reaches them, and the app's hooks run on them (`config.lameduckProbe` tells them apart).
   * By default they are answered in front of Fastify, in the server's request listener: no
   * Fastify work is spent on a probe, no hook of the app can fail one, and the app's own
   * requests pay for no probe route; `app.inject('/readyz')` then answers 404.
   * @default false
   */
  readonly probesInApp?: boolean;
  /**
   * Log level of the probe routes (`probesInApp`). Fastify logs every request at `info`;
   * probes run every few seconds, so they log at `warn` and up only. Probes answered in front
   * of Fastify are never in its request log.
   * @default 'warn'
   */
  readonly probeLogLevel?: LogLevel;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The lameduck instance driving this app's shutdown (`@lameduck/fastify`). */
    readonly lameduck: Lameduck;
  }
  interface FastifyContextConfig {
    /** Set on the probe routes `@lameduck/fastify` registers (`probesInApp`), so that your hooks can skip them. */
    readonly lameduckProbe?: 'readiness' | 'liveness' | 'preStop';
  }
}

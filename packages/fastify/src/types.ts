import type { Lameduck, LameduckOptions, ProbePaths } from '@lameduck/core';
import type { LogLevel } from 'fastify';

/** Options of `app.register(lameduck, options)`: every core option plus where the probes live. */
export interface LameduckFastifyOptions extends LameduckOptions, ProbePaths {
  /**
   * Log level of the probe routes. Fastify logs every request at `info`; probes run every few
   * seconds, so they log at `warn` and up only.
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
    /** Set on the probe routes `@lameduck/fastify` registers, so that your hooks can skip them. */
    readonly lameduckProbe?: 'readiness' | 'liveness' | 'preStop';
  }
}

import {
  describeValue,
  ErrorCodes,
  LameduckError,
  type LameduckOptions,
  type ProbePaths,
} from '@lameduck/core';

/**
 * Options of `LameduckModule.forRoot()`: every core option (`drainDelayMs`, `drainTimeoutMs`,
 * `signals`, ...) plus where the probes are served. Every field is optional; `LAMEDUCK_*`
 * environment variables fill what is not set.
 */
export interface LameduckModuleOptions extends LameduckOptions, ProbePaths {
  /**
   * Answer the probes inside the app, from Nest's request hook (still ahead of Nest middleware,
   * guards and pipes), instead of in front of it on `app.getHttpServer()`: `app.inject()` on
   * Fastify, and servers made around the bare Express instance (`supertest(expressInstance)`,
   * Nest's multiple servers), then reach them. Costs every request the hook.
   * @default false
   */
  readonly probesInApp?: boolean;
}

/** The extras `forRoot()` / `forRootAsync()` accept beside the options. */
export interface LameduckModuleExtras {
  /**
   * Register the module globally, so any module can inject `LameduckService`.
   * @default true
   */
  readonly isGlobal?: boolean;
}

/** The module's own options (not the core's), listed with the core's when an option is unknown. */
export const MODULE_KEYS: readonly string[] = [
  'readinessPath',
  'livenessPath',
  'preStopPath',
  'probesInApp',
  'isGlobal',
];

/** Splits module options into the core's options, the probe paths and where the probes go. */
export function splitOptions(options: LameduckModuleOptions): {
  core: LameduckOptions;
  paths: ProbePaths;
  probesInApp: boolean;
} {
  const { readinessPath, livenessPath, preStopPath, adminOnly, probesInApp, ...core } = options;
  if (probesInApp !== undefined && typeof probesInApp !== 'boolean') {
    throw new LameduckError(
      ErrorCodes.INVALID_OPTION,
      `LameduckModule.forRoot(): probesInApp expects true or false, instead got ${describeValue(probesInApp)}. Leave it out to answer the probes in front of Nest on app.getHttpServer(); true answers them from Nest's request hook (app.inject() reaches them).`,
    );
  }
  return {
    core,
    paths: { readinessPath, livenessPath, preStopPath, adminOnly },
    probesInApp: probesInApp === true,
  };
}

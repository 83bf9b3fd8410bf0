import type { LameduckOptions, ProbePaths } from '@lameduck/core';

/**
 * Options of `LameduckModule.forRoot()`: every core option (`drainDelayMs`, `drainTimeoutMs`,
 * `signals`, ...) plus where the probes are served. Every field is optional; `LAMEDUCK_*`
 * environment variables fill what is not set.
 */
export interface LameduckModuleOptions extends LameduckOptions, ProbePaths {}

/** The extras `forRoot()` / `forRootAsync()` accept beside the options. */
export interface LameduckModuleExtras {
  /**
   * Register the module globally, so any module can inject `LameduckService`.
   * @default true
   */
  readonly isGlobal?: boolean;
}

/** The module's own options (not the core's), listed with the core's when an option is unknown. */
export const MODULE_KEYS: readonly string[] = ['readinessPath', 'livenessPath', 'preStopPath', 'isGlobal'];

/** Splits module options into the core's options and the probe paths. */
export function splitOptions(options: LameduckModuleOptions): { core: LameduckOptions; paths: ProbePaths } {
  const { readinessPath, livenessPath, preStopPath, adminOnly, ...core } = options;
  return { core, paths: { readinessPath, livenessPath, preStopPath, adminOnly } };
}

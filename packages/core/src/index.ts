export { assertLameduck, listen, type ListenOptions } from './adapter-kit.js';
export { computeBudget, checkBudget, type Budget } from './budget.js';
export { DEFAULTS, ENV_VARS } from './defaults.js';
export { ErrorCodes, LameduckError, type ErrorCode } from './errors.js';
export { createLameduck } from './lameduck.js';
export { silentLogger } from './logger.js';
export { isKubernetes, resolveOptions } from './options.js';
export { createProbeRouter, type ProbeRouter } from './probe-router.js';
export {
  matchProbe,
  resolveProbePaths,
  sendProbe,
  type ProbeKind,
  type ProbePaths,
  type ResolvedProbePaths,
} from './probes.js';
export { summaryLine } from './summary.js';
export type {
  Clock,
  DrainableServer,
  FailReadiness,
  Hook,
  HookOptions,
  HookResult,
  Lameduck,
  LameduckEvents,
  LameduckOptions,
  Logger,
  ProbeResponse,
  ReadinessCheck,
  ReadinessCheckOptions,
  ResolvedOptions,
  ShutdownResult,
  SignalSource,
  State,
} from './types.js';

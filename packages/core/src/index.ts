export {
  assertLameduck,
  attachProbesInFront,
  type ListenOptions,
  listen,
  markProbesServedByMiddleware,
  probesForListen,
  rejectUncalledMiddleware,
} from './adapter-kit.js';
export { type Budget, checkBudget, computeBudget } from './budget.js';
export { CHANNEL_NAMES, type ChannelName } from './channels.js';
export { DEFAULTS, ENV_VARS } from './defaults.js';
export { findUnknownEnvVars, type UnknownEnvVar } from './diagnostics/env-vars.js';
export { describeValue, type ErrorCode, ErrorCodes, LameduckError } from './errors.js';
export { isEventStream } from './event-streams.js';
export { createLameduck } from './lameduck.js';
export { silentLogger } from './logger.js';
export { bridgeFrameworkLogger, type FrameworkLoggerOptions } from './logger-bridge.js';
export { isKubernetes, type OptionsContext, resolveOptions } from './options.js';
export { createProbeRouter, type ProbeRouter } from './probe-router.js';
export {
  matchProbe,
  type ProbeKind,
  type ProbePaths,
  type ResolvedProbePaths,
  resolveProbePaths,
  sendProbe,
} from './probes.js';
export { summaryLine } from './summary.js';
export type {
  AttachOptions,
  Clock,
  DiagnosticsMode,
  DrainableServer,
  DrainDelayEnd,
  DrainDelayOutcome,
  FailReadiness,
  Hook,
  HookOptions,
  HookResult,
  Lameduck,
  LameduckEvents,
  LameduckOptions,
  LameduckStats,
  Logger,
  LogLevel,
  ProbeResponse,
  ReadinessCheck,
  ReadinessCheckOptions,
  ResolvedOptions,
  ServerRoleResult,
  ShutdownResult,
  SignalSource,
  State,
  StreamOptions,
} from './types.js';

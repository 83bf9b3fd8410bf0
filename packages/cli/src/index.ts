export { type CliRequest, type CliSimulationOptions, helpText, parseArgs } from './args.js';
export { type CliIo, runCli } from './cli.js';
export { type DoctorFormat, doctorHelp, runDoctor } from './doctor/command.js';
export type { Finding, Level, Rule } from './doctor/findings.js';
export { RULES } from './doctor/rules.js';
export { SIMULATE_DEFAULTS } from './options.js';
export { formatReport } from './report.js';
export { simulate } from './simulate.js';
export type {
  BalancerMode,
  BalancerStats,
  FailureClass,
  LoadKind,
  LoadProfile,
  LongLivedStats,
  LongRequestOutcome,
  PodOutcome,
  PreStop,
  ProgressUpdate,
  RequestStats,
  SimulationOptions,
  SimulationReport,
  TimelineEvent,
  TimelineKind,
} from './types.js';

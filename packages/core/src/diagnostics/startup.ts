import { ErrorCodes, LameduckError } from '../errors.js';
import type { DiagnosticsMode, Logger } from '../types.js';
import { findUnknownEnvVars, unknownEnvMessage } from './env-vars.js';
import { judgeSignalPath, readSignalPath, signalPathMessage } from './signal-path.js';

/** Reports one finding the way `diagnostics` says: a warning, nothing, or a thrown coded error. */
export type Report = (check: string, message: string, fields?: object) => void;

export function createReport(mode: DiagnosticsMode, logger: Logger): Report {
  return (check, message, fields = {}) => {
    if (mode === 'off') return;
    if (mode === 'strict') throw new LameduckError(ErrorCodes.DIAGNOSTIC, message);
    logger.warn({ code: ErrorCodes.DIAGNOSTIC, check, ...fields }, message);
  };
}

export interface StartupContext {
  readonly report: Report;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether SIGTERM comes from the real process (not an injected signal source). */
  readonly realSignals: boolean;
  /** Where `/proc` is. @default '/proc' */
  readonly procRoot?: string;
  /** Whose signal path. @default process.pid */
  readonly pid?: number;
}

/** The checks that run once, when the instance is created. */
export function runStartupDiagnostics(context: StartupContext): void {
  for (const found of findUnknownEnvVars(context.env)) {
    context.report('env', unknownEnvMessage(found), { variable: found.name, closest: found.closest });
  }
  if (!context.realSignals || process.platform !== 'linux') return;
  const hops = readSignalPath(context.procRoot, context.pid);
  const finding = hops === undefined ? undefined : judgeSignalPath(hops);
  if (finding !== undefined) {
    context.report('signal-path', signalPathMessage(finding), { path: finding.path });
  }
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { TIMED_OUT, withTimeout } from './clock.js';
import { DEFAULTS } from './defaults.js';
import { describeValue, ErrorCodes, LameduckError } from './errors.js';
import type { Clock, ProbeResponse, State } from './types.js';

export interface RegisteredCheck {
  readonly name: string;
  readonly fn: () => unknown;
  readonly timeoutMs: number;
}

const PROBE_HEADERS = Object.freeze({
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
});

function probe(statusCode: number, body: object): ProbeResponse {
  return { statusCode, headers: PROBE_HEADERS, body: JSON.stringify(body) };
}

async function runCheck(check: RegisteredCheck, clock: Clock): Promise<string> {
  try {
    const outcome = await withTimeout(
      clock,
      Promise.resolve().then(() => check.fn()),
      check.timeoutMs,
    );
    if (outcome === TIMED_OUT) return `timed out after ${check.timeoutMs} ms`;
    return outcome === false ? 'failed' : 'ok';
  } catch (error) {
    return `failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/**
 * The readiness answer: 503 while starting and once readiness has flipped; while serving,
 * 200 when every check passes (checks run in parallel, each with its own timeout).
 */
export async function readinessResponse(
  state: State,
  failing: boolean,
  checks: readonly RegisteredCheck[],
  clock: Clock,
): Promise<ProbeResponse> {
  if (state === 'starting' || failing) return probe(503, { status: 'unavailable', state });
  if (checks.length === 0) return probe(200, { status: 'ok', state });
  const outcomes = await Promise.all(checks.map((check) => runCheck(check, clock)));
  const report: Record<string, string> = {};
  checks.forEach((check, i) => {
    report[check.name] = outcomes[i] ?? 'failed';
  });
  const healthy = outcomes.every((outcome) => outcome === 'ok');
  return probe(healthy ? 200 : 503, { status: healthy ? 'ok' : 'unavailable', state, checks: report });
}

/** The liveness answer: 200 until the process exits, whatever the phase. */
export function livenessResponse(state: State): ProbeResponse {
  return probe(200, { status: 'ok', state });
}

/** Writes a probe answer on a node response (no body for HEAD). */
export function sendProbe(req: IncomingMessage, res: ServerResponse, answer: ProbeResponse): void {
  if (res.headersSent) return;
  res.statusCode = answer.statusCode;
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.setHeader('content-length', Buffer.byteLength(answer.body));
  res.end(req.method === 'HEAD' ? undefined : answer.body);
}

/** Where the probes are served. */
export interface ProbePaths {
  /** @default '/readyz' */
  readonly readinessPath?: string | false;
  /** @default '/livez' */
  readonly livenessPath?: string | false;
  /**
   * A preStop `httpGet` path; off unless set. It needs a token (`preStopToken`,
   * `LAMEDUCK_PRESTOP_TOKEN`) unless `adminOnly`.
   */
  readonly preStopPath?: string | false;
  /**
   * These routes are served only on admin servers (`attach(server, { role: 'admin' })`), on a
   * port no Service exposes: the preStop path then works without a token, and a preStop
   * request that arrives on any other server is refused.
   * @default false
   */
  readonly adminOnly?: boolean;
}

export interface ResolvedProbePaths {
  readonly readinessPath: string | false;
  readonly livenessPath: string | false;
  readonly preStopPath: string | false;
  readonly adminOnly: boolean;
}

export type ProbeKind = 'readiness' | 'liveness' | 'preStop';

function checkPath(name: string, value: unknown, fallback: string | false): string | false {
  if (value === undefined) return fallback;
  if (value === false) return false;
  if (typeof value !== 'string' || !value.startsWith('/') || /[?#\s]/.test(value)) {
    throw new LameduckError(
      ErrorCodes.INVALID_OPTION,
      `lameduck: option \`${name}\` expects a path that starts with '/' (such as '/readyz') or false, instead got ${describeValue(value)}.`,
    );
  }
  return value;
}

function checkAdminOnly(value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') {
    throw new LameduckError(
      ErrorCodes.INVALID_OPTION,
      `lameduck: option \`adminOnly\` expects a boolean, instead got ${describeValue(value)}.`,
    );
  }
  return value;
}

/** Validates probe paths once; adapters share it. */
export function resolveProbePaths(paths: ProbePaths = {}): ResolvedProbePaths {
  return Object.freeze({
    readinessPath: checkPath('readinessPath', paths.readinessPath, DEFAULTS.readinessPath),
    livenessPath: checkPath('livenessPath', paths.livenessPath, DEFAULTS.livenessPath),
    preStopPath: checkPath('preStopPath', paths.preStopPath, false),
    adminOnly: checkAdminOnly(paths.adminOnly),
  });
}

/** Which probe a request targets (GET or HEAD, query string ignored), if any. */
export function matchProbe(
  method: string | undefined,
  url: string | undefined,
  paths: ResolvedProbePaths,
): ProbeKind | undefined {
  if (method !== 'GET' && method !== 'HEAD') return undefined;
  if (url === undefined) return undefined;
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  if (path === paths.readinessPath) return 'readiness';
  if (path === paths.livenessPath) return 'liveness';
  if (path === paths.preStopPath) return 'preStop';
  return undefined;
}

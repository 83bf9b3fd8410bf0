import { FAILURE_CLASSES, type FailureClass, type RequestStats } from './types.js';

/** One finished request. */
export interface RequestRecord {
  /** `performance.now()` when it was sent. */
  readonly startedAt: number;
  readonly durationMs: number;
  readonly slow: boolean;
  readonly status?: number;
  readonly failure?: FailureClass;
  readonly error?: string;
  readonly connectionClose: boolean;
  /** An HTTP/2 stream refused as retryable, then sent again on a new connection. */
  readonly retried?: boolean;
}

/** Sorts an error or a status into the report's classes. */
export function classifyFailure(error: unknown): { failure: FailureClass; message: string } {
  const err = error as {
    code?: string;
    message?: string;
    cause?: { code?: string; message?: string };
  } | null;
  const code = err?.code ?? '';
  const causeCode = err?.cause?.code ?? '';
  const message = `${code ? `${code}: ` : ''}${err?.message ?? String(error)}`;
  const codes = [code, causeCode];
  if (codes.includes('ECONNREFUSED')) return { failure: 'refused', message };
  if (codes.includes('ECONNRESET') || codes.includes('EPIPE')) return { failure: 'reset', message };
  if (
    codes.includes('UND_ERR_HEADERS_TIMEOUT') ||
    codes.includes('UND_ERR_BODY_TIMEOUT') ||
    codes.includes('UND_ERR_CONNECT_TIMEOUT') ||
    codes.includes('ETIMEDOUT')
  ) {
    return { failure: 'timeout', message };
  }
  if (codes.includes('UND_ERR_SOCKET') || /other side closed|socket hang up/i.test(message)) {
    // Closed under a request after the connection had carried a response (undici's socket error
    // says how many bytes it read; none were this request's answer): the idle-close race.
    return { failure: socketBytesRead(error) > 0 ? 'idleClose' : 'closed', message };
  }
  return { failure: 'other', message };
}

/** The bytes a connection had read when undici failed a request on it with a socket error; 0 when unknown. */
function socketBytesRead(error: unknown): number {
  const bytesRead = (error as { socket?: { bytesRead?: unknown } } | null)?.socket?.bytesRead;
  return typeof bytesRead === 'number' ? bytesRead : 0;
}

export function statusFailure(status: number): FailureClass | undefined {
  if (status >= 200 && status < 300) return undefined;
  return status >= 500 ? 'status5xx' : 'other';
}

/** Counts records into the report's request statistics. */
export function summarizeRequests(records: readonly RequestRecord[]): RequestStats {
  const failures = Object.fromEntries(FAILURE_CLASSES.map((name) => [name, 0])) as Record<
    FailureClass,
    number
  >;
  const samples = new Set<string>();
  let ok = 0;
  let connectionClose = 0;
  let retried = 0;
  let slow = 0;
  const durations: number[] = [];
  for (const record of records) {
    if (record.failure === undefined) ok += 1;
    else {
      failures[record.failure] += 1;
      if (samples.size < 5 && record.error !== undefined) samples.add(record.error);
    }
    if (record.connectionClose) connectionClose += 1;
    if (record.retried) retried += 1;
    if (record.slow) slow += 1;
    durations.push(record.durationMs);
  }
  durations.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] ?? 0);
  return {
    total: records.length,
    ok,
    failed: records.length - ok,
    failures,
    connectionClose,
    retried,
    slow,
    latencyMs: { p50: at(0.5), p99: at(0.99), max: Math.round(durations[durations.length - 1] ?? 0) },
    errorSamples: [...samples],
  };
}

import { Pool } from 'undici';

export interface LoadReport {
  ok: number;
  /** Successful requests sent after `markAt`. */
  okAfterMark: number;
  /** Status codes other than 200, counted. */
  statuses: Record<number, number>;
  /** Errors by code, each with the time it happened. */
  errors: { code: string; at: number }[];
}

/**
 * Keep-alive load with `concurrency` loops on one undici Pool (no retries): each loop sends
 * `GET /` back to back until `stopSendingAt()` (the moment a balancer would have stopped
 * routing here), `maxRequests` were sent in all, or `maxMs` passed. Every loop stops by itself.
 */
export async function runLoad(
  url: string,
  options: {
    concurrency: number;
    maxRequests: number;
    maxMs: number;
    markAt: () => number | undefined;
    stopSendingAt: () => number | undefined;
  },
): Promise<LoadReport> {
  const pool = new Pool(url, { connections: options.concurrency, pipelining: 1 });
  const report: LoadReport = { ok: 0, okAfterMark: 0, statuses: {}, errors: [] };
  const stopAt = Date.now() + options.maxMs;
  let sent = 0;
  const sending = () => Date.now() < (options.stopSendingAt() ?? Number.POSITIVE_INFINITY);
  const loop = async () => {
    while (sending() && sent < options.maxRequests && Date.now() < stopAt) {
      sent += 1;
      const sentAt = Date.now();
      try {
        const response = await pool.request({
          path: '/',
          method: 'GET',
          headersTimeout: 10_000,
          bodyTimeout: 10_000,
        });
        await response.body.text();
        if (response.statusCode === 200) {
          report.ok += 1;
          const mark = options.markAt();
          if (mark !== undefined && sentAt >= mark) report.okAfterMark += 1;
        } else {
          report.statuses[response.statusCode] = (report.statuses[response.statusCode] ?? 0) + 1;
        }
      } catch (error) {
        const err = error as { code?: string; cause?: { code?: string } };
        const code = err.cause?.code ?? err.code ?? 'unknown';
        report.errors.push({ code, at: Date.now() });
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  await pool.destroy().catch(() => undefined);
  return report;
}

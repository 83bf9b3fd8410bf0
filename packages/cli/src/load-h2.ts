import * as http2 from 'node:http2';
import type { Load, LoadFactory, LoadOptions } from './load.js';
import { plural } from './plural.js';
import { classifyFailure, type RequestRecord, statusFailure } from './requests.js';

const { NGHTTP2_REFUSED_STREAM, NGHTTP2_CANCEL } = http2.constants;
/** How often a refused stream is sent again on a fresh session. */
const RETRIES = 3;

type Outcome = Omit<RequestRecord, 'startedAt' | 'durationMs' | 'slow'>;

/**
 * HTTP/2 cleartext (h2c, prior knowledge) stream load with node's http2 client, through an L4
 * balancer: `GET /` and `GET /slow?ms=N` streams at a steady rate over a few long-lived sessions,
 * plus a trickle of streams that each open a new session (the clients that keep arriving).
 * It behaves as a well-behaved client does: a session that received GOAWAY is replaced by a new
 * connection (which the balancer routes), and a stream refused as retryable (`REFUSED_STREAM`,
 * above the GOAWAY's last stream id: never processed) is sent again on a fresh session and
 * counted as retried, not failed. Anything else (a reset, a broken session, a timeout, a
 * `Connection` header on an h2 response) fails the stream.
 */
export class H2Load implements Load {
  readonly description: string;
  readonly records: RequestRecord[] = [];
  private readonly origin: string;
  private readonly lanes: Array<http2.ClientHttp2Session | undefined>;
  private readonly sessions = new Set<http2.ClientHttp2Session>();
  private readonly pending = new Set<Promise<void>>();
  private inFlightCount = 0;
  private sent = 0;
  private newcomersSent = 0;
  private timer: NodeJS.Timeout | undefined;
  private steadySince = 0;
  private steadySent = 0;

  constructor(private readonly options: LoadOptions) {
    this.origin = `http://${options.host}:${options.port}`;
    this.lanes = Array.from({ length: Math.max(1, options.connections) }, () => undefined);
    this.description = `HTTP/2 (h2c): ${options.rate} streams/s over ${plural(this.lanes.length, 'session')}`;
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  startSteady(): void {
    if (this.timer !== undefined || (this.options.rate <= 0 && this.options.newConnectionRate <= 0)) return;
    this.steadySince = performance.now();
    this.steadySent = 0;
    this.newcomersSent = 0;
    this.timer = setInterval(() => this.tick(), 5);
  }

  stopSteady(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One slow stream on every session at once, so that each session is open. */
  async warmUp(): Promise<void> {
    await Promise.all(
      this.lanes.map((_, lane) => this.send(`/slow?ms=${Math.min(this.options.slowMs, 200)}`, true, lane)),
    );
  }

  async close(): Promise<void> {
    this.stopSteady();
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    for (const session of this.sessions) session.close();
  }

  async destroy(): Promise<void> {
    this.stopSteady();
    for (const session of this.sessions) session.destroy();
  }

  private tick(): void {
    const elapsed = performance.now() - this.steadySince;
    const limit = this.lanes.length * 8;
    const newcomersDue = Math.floor((elapsed * this.options.newConnectionRate) / 1000);
    while (this.newcomersSent < newcomersDue) {
      this.newcomersSent += 1;
      if (this.inFlightCount < limit + 4) void this.send('/', false, undefined);
    }
    const due = Math.floor((elapsed * this.options.rate) / 1000);
    while (this.steadySent < due) {
      this.steadySent += 1;
      if (this.inFlightCount >= limit) continue;
      const slow =
        this.options.slowRatio > 0 &&
        Math.floor(this.sent * this.options.slowRatio) !==
          Math.floor((this.sent + 1) * this.options.slowRatio);
      void this.send(slow ? `/slow?ms=${this.options.slowMs}` : '/', slow, this.sent % this.lanes.length);
    }
  }

  /** `lane` undefined: a stream on a session of its own, closed after it. */
  private send(path: string, slow: boolean, lane: number | undefined): Promise<void> {
    if (lane !== undefined) this.sent += 1;
    this.inFlightCount += 1;
    const startedAt = performance.now();
    const work = this.withRetries(path, lane).then((outcome) => {
      this.inFlightCount -= 1;
      this.records.push({ startedAt, durationMs: performance.now() - startedAt, slow, ...outcome });
    });
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
    return work;
  }

  private async withRetries(path: string, lane: number | undefined): Promise<Outcome> {
    let retried = false;
    for (let attempt = 0; attempt <= RETRIES; attempt += 1) {
      const session = this.sessionFor(lane, attempt > 0);
      const outcome = await this.stream(session, path);
      if (lane === undefined) session.close();
      if (outcome !== 'refused' && outcome !== 'not sent') return retried ? { ...outcome, retried } : outcome;
      // Refused: never processed, so safe to send again, on a new connection.
      if (outcome === 'refused') retried = true;
    }
    return {
      failure: 'other',
      error: `stream still refused after ${RETRIES} retries`,
      connectionClose: false,
    };
  }

  private sessionFor(lane: number | undefined, fresh: boolean): http2.ClientHttp2Session {
    const current = lane === undefined ? undefined : this.lanes[lane];
    if (!fresh && current !== undefined && !current.closed && !current.destroyed) return current;
    const session = http2.connect(this.origin);
    session.on('error', () => {}); // Each stream reports its own failure.
    this.sessions.add(session);
    session.once('close', () => this.sessions.delete(session));
    if (lane !== undefined) this.lanes[lane] = session;
    return session;
  }

  private stream(session: http2.ClientHttp2Session, path: string): Promise<Outcome | 'refused' | 'not sent'> {
    return new Promise((resolve) => {
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request({ ':path': path });
      } catch {
        resolve('not sent'); // The session received GOAWAY meanwhile: nothing left this client.
        return;
      }
      let status = 0;
      let connectionHeader = false;
      let error: unknown;
      stream.setTimeout(this.options.timeoutMs, () => {
        error = Object.assign(new Error(`no answer within ${this.options.timeoutMs} ms`), {
          code: 'ETIMEDOUT',
        });
        stream.close(NGHTTP2_CANCEL);
      });
      stream.on('response', (headers) => {
        status = Number(headers[':status']);
        connectionHeader = headers.connection !== undefined;
      });
      stream.on('error', (cause: unknown) => {
        error ??= cause;
      });
      stream.resume();
      stream.once('close', () => {
        if (stream.rstCode === NGHTTP2_REFUSED_STREAM && status === 0) resolve('refused');
        else if (error !== undefined || stream.rstCode !== 0) {
          const { failure, message } = classifyFailure(
            error ?? new Error(`stream reset (code ${stream.rstCode})`),
          );
          resolve({
            failure: failure === 'other' ? 'reset' : failure,
            error: message,
            connectionClose: false,
          });
        } else if (connectionHeader) {
          resolve({
            status,
            failure: 'other',
            error: 'Connection header on an h2 response',
            connectionClose: true,
          });
        } else {
          const failure = statusFailure(status);
          resolve(
            failure === undefined
              ? { status, connectionClose: false }
              : { status, failure, error: `HTTP ${status}`, connectionClose: false },
          );
        }
      });
    });
  }
}

/** `h2`: HTTP/2 cleartext streams with node's http2 client. */
export const h2Load: LoadFactory = (options) => new H2Load(options);

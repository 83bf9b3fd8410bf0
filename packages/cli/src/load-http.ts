import type { Socket } from 'node:net';
import { buildConnector, Client, Pool } from 'undici';
import type { Load, LoadFactory, LoadOptions } from './load.js';
import { plural } from './plural.js';
import { classifyFailure, type RequestRecord, statusFailure } from './requests.js';

/**
 * Keep-alive load through a real undici Pool (no retries): fast `GET /` and slow
 * `GET /slow?ms=N` requests at a steady rate, bounded in time by the caller and in flight by
 * twice the connection count. Besides, a trickle of `GET /` requests that each open a new
 * connection stands for the other clients that keep arriving: a keep-alive pool alone stops
 * opening connections once all of them sit on the surviving pods.
 */
export class HttpLoad implements Load {
  readonly description: string;
  readonly records: RequestRecord[] = [];
  private readonly pool: Pool;
  private readonly newcomers: Pool;
  private newcomersSent = 0;
  private inFlightCount = 0;
  private sent = 0;
  private timer: NodeJS.Timeout | undefined;
  private steadySince = 0;
  private steadySent = 0;
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly options: LoadOptions) {
    const origin = `http://${options.host}:${options.port}`;
    this.description = `HTTP/1.1 keep-alive: ${options.rate} req/s over ${plural(options.connections, 'connection')}`;
    this.pool = new Pool(origin, {
      connections: options.connections,
      pipelining: 1,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connectTimeout: 5000,
      keepAliveTimeout: 30_000,
    });
    this.newcomers = new Pool(origin, {
      connections: 4,
      pipelining: 1,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connectTimeout: 5000,
    });
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  /** Starts sending at the configured rate until `stopSteady()`. */
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

  /** Sends one slow request per connection at once, so the pool opens all its connections. */
  async warmUp(): Promise<void> {
    const round = Array.from({ length: this.options.connections }, () =>
      this.send(`/slow?ms=${Math.min(this.options.slowMs, 200)}`, true),
    );
    await Promise.all(round);
  }

  /** Waits for the requests in flight, then closes the pool. */
  async close(): Promise<void> {
    this.stopSteady();
    await Promise.all([...this.pending]);
    await Promise.all([this.pool.close(), this.newcomers.close()]);
  }

  /** Destroys the pool at once (abort path). */
  async destroy(): Promise<void> {
    this.stopSteady();
    await Promise.all([this.pool.destroy(), this.newcomers.destroy()]);
  }

  private tick(): void {
    const elapsed = performance.now() - this.steadySince;
    const newcomersDue = Math.floor((elapsed * this.options.newConnectionRate) / 1000);
    while (this.newcomersSent < newcomersDue) {
      this.newcomersSent += 1;
      if (this.inFlightCount < this.options.connections * 2 + 4)
        void this.send('/', false, this.newcomers, true);
    }
    const due = Math.floor((elapsed * this.options.rate) / 1000);
    const limit = this.options.connections * 2;
    while (this.steadySent < due) {
      this.steadySent += 1;
      if (this.inFlightCount >= limit) continue;
      // Every n-th request is slow, spread evenly: deterministic, unlike Math.random().
      const slow =
        this.options.slowRatio > 0 &&
        Math.floor(this.sent * this.options.slowRatio) !==
          Math.floor((this.sent + 1) * this.options.slowRatio);
      void this.send(slow ? `/slow?ms=${this.options.slowMs}` : '/', slow);
    }
  }

  private send(
    path: string,
    slow: boolean,
    dispatcher: Pool = this.pool,
    newConnection = false,
  ): Promise<void> {
    if (!newConnection) this.sent += 1;
    this.inFlightCount += 1;
    const startedAt = performance.now();
    const work = sendOne(dispatcher, path, {}, newConnection).then((outcome) => {
      this.inFlightCount -= 1;
      this.records.push({ startedAt, durationMs: performance.now() - startedAt, slow, ...outcome });
    });
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
    return work;
  }
}

/** `http`: keep-alive HTTP/1.1 through an undici Pool. */
export const httpLoad: LoadFactory = (options) => new HttpLoad(options);

type Outcome = Omit<RequestRecord, 'startedAt' | 'durationMs' | 'slow'>;

async function sendOne(
  dispatcher: Pool | Client,
  path: string,
  headers: Record<string, string>,
  newConnection = false,
): Promise<Outcome> {
  try {
    // `reset: true` sends Connection: close, so the connection serves this request only.
    const response = await dispatcher.request({ path, method: 'GET', headers, reset: newConnection });
    await response.body.dump({ limit: 1 << 20 }).catch(() => undefined);
    // A request that asked for Connection: close gets it back; only count the server's own.
    const connectionClose =
      !newConnection && String(response.headers.connection ?? '').toLowerCase() === 'close';
    const failure = statusFailure(response.statusCode);
    return failure === undefined
      ? { status: response.statusCode, connectionClose }
      : { status: response.statusCode, failure, error: `HTTP ${response.statusCode}`, connectionClose };
  } catch (error) {
    const { failure, message } = classifyFailure(error);
    return { failure, error: message, connectionClose: false };
  }
}

/**
 * One long `GET /slow?ms=N` on its own keep-alive connection through the balancer.
 * `onConnected` receives the connection's local port, so that the kube-proxy balancer can tell
 * which pod it was routed to (its conntrack entry); HAProxy is steered with a pin header.
 */
export async function sendLongRequest(
  host: string,
  port: number,
  ms: number,
  timeoutMs: number,
  headers: Record<string, string>,
  onConnected: (localPort: number) => void,
): Promise<RequestRecord> {
  const connector = buildConnector({});
  const client = new Client(`http://${host}:${port}`, {
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    pipelining: 1,
    connect: (options, callback) =>
      connector(options, (error, socket) => {
        if (socket !== null) onConnected((socket as Socket).localPort ?? 0);
        if (error !== null) callback(error, null);
        else callback(null, socket as Socket);
      }),
  });
  const startedAt = performance.now();
  try {
    const outcome = await sendOne(client, `/slow?ms=${ms}`, headers);
    return { startedAt, durationMs: performance.now() - startedAt, slow: true, ...outcome };
  } finally {
    await client.close().catch(() => undefined);
  }
}

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
  /** One client per connection, each with its own think time (`thinkMs` > 0). */
  private readonly clients: SparseClient[] = [];
  private newcomersSent = 0;
  private inFlightCount = 0;
  private sent = 0;
  private timer: NodeJS.Timeout | undefined;
  private steadySince = 0;
  private steadySent = 0;
  private running = false;
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly options: LoadOptions) {
    const origin = `http://${options.host}:${options.port}`;
    const what = options.method === 'POST' ? 'POST / (JSON, echoed)' : 'GET /';
    this.description =
      options.thinkMs > 0
        ? `HTTP/1.1 keep-alive: ${plural(options.connections, 'connection')}, each sending ${what} after an exponential think time (mean ${options.thinkMs} ms)`
        : `HTTP/1.1 keep-alive: ${what} at ${options.rate} req/s over ${plural(options.connections, 'connection')}`;
    const timeouts = {
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connectTimeout: 5000,
    };
    this.pool = new Pool(origin, {
      connections: options.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      ...timeouts,
    });
    this.newcomers = new Pool(origin, { connections: 4, pipelining: 1, ...timeouts });
    if (options.thinkMs > 0) {
      for (let i = 0; i < options.connections; i += 1) {
        this.clients.push(
          new SparseClient(new Client(origin, { pipelining: 1, keepAliveTimeout: 30_000, ...timeouts })),
        );
      }
    }
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  /** Starts sending until `stopSteady()`: at the configured rate, or each connection after its think time. */
  startSteady(): void {
    if (this.running) return;
    this.running = true;
    this.steadySince = performance.now();
    this.steadySent = 0;
    this.newcomersSent = 0;
    if (this.options.rate > 0 || this.options.newConnectionRate > 0 || this.clients.length > 0)
      this.timer = setInterval(() => this.tick(), 5);
    for (const client of this.clients) void this.loop(client);
  }

  stopSteady(): void {
    this.running = false;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Sends one request on every connection at once, so that all of them are open (and have carried a request). */
  async warmUp(): Promise<void> {
    const slowPath = this.options.slowPath;
    if (this.clients.length > 0) {
      await Promise.all(this.clients.map((client) => this.send(this.nextRequest(false), client)));
      return;
    }
    const request: Planned =
      slowPath === null
        ? this.nextRequest(false)
        : { path: `${slowPath}?ms=${Math.min(this.options.slowMs, 200)}`, slow: true };
    await Promise.all(Array.from({ length: this.options.connections }, () => this.send(request, this.pool)));
  }

  /** Waits for the requests in flight, then closes every connection. */
  async close(): Promise<void> {
    this.stopSteady();
    await Promise.all([...this.pending]);
    await Promise.all([
      this.pool.close(),
      this.newcomers.close(),
      ...this.clients.map((client) => client.client.close()),
    ]);
  }

  /** Destroys every connection at once (abort path). */
  async destroy(): Promise<void> {
    this.stopSteady();
    await Promise.all([
      this.pool.destroy(),
      this.newcomers.destroy(),
      ...this.clients.map((client) => client.client.destroy()),
    ]);
  }

  private tick(): void {
    const elapsed = performance.now() - this.steadySince;
    const newcomersDue = Math.floor((elapsed * this.options.newConnectionRate) / 1000);
    while (this.newcomersSent < newcomersDue) {
      this.newcomersSent += 1;
      if (this.inFlightCount < this.options.connections * 2 + 4)
        void this.send({ path: '/', slow: false }, this.newcomers, true);
    }
    if (this.clients.length > 0) return;
    const due = Math.floor((elapsed * this.options.rate) / 1000);
    const limit = this.options.connections * 2;
    while (this.steadySent < due) {
      this.steadySent += 1;
      if (this.inFlightCount >= limit) continue;
      void this.send(this.nextRequest(true), this.pool);
    }
  }

  /** One connection of the sparse load: think, send, think, … until the load stops. */
  private async loop(client: SparseClient): Promise<void> {
    while (this.running) {
      // One timer per pause (thousands of connections: no polling); a stopped load ends after it.
      await new Promise((resolve) => setTimeout(resolve, exponential(this.options.thinkMs)));
      if (!this.running) break;
      await this.send(this.nextRequest(true), client);
    }
  }

  /** The next request: every n-th one slow (spread evenly, deterministic), the others GET or POST /. */
  private nextRequest(maySlow: boolean): Planned {
    const ratio = this.options.slowPath === null ? 0 : this.options.slowRatio;
    const slow =
      maySlow && ratio > 0 && Math.floor(this.sent * ratio) !== Math.floor((this.sent + 1) * ratio);
    this.sent += 1;
    if (slow) return { path: `${this.options.slowPath}?ms=${this.options.slowMs}`, slow: true };
    if (this.options.method === 'POST')
      return { path: '/', slow: false, body: JSON.stringify({ request: this.sent, sentAt: Date.now() }) };
    return { path: '/', slow: false };
  }

  private send(request: Planned, target: Pool | SparseClient, newConnection = false): Promise<void> {
    this.inFlightCount += 1;
    const startedAt = performance.now();
    const sparse = target instanceof SparseClient ? target : undefined;
    // The idle-close race can only hit a request sent on a connection that already carried one.
    const reused = sparse !== undefined && sparse.requestsOnSocket > 0;
    const work = sendOne(sparse?.client ?? (target as Pool), request, {}, newConnection).then((outcome) => {
      this.inFlightCount -= 1;
      if (sparse !== undefined) sparse.requestsOnSocket += 1;
      const raced =
        reused &&
        outcome.failure !== undefined &&
        outcome.status === undefined &&
        (outcome.failure === 'closed' || outcome.failure === 'reset');
      this.records.push({
        startedAt,
        durationMs: performance.now() - startedAt,
        slow: request.slow,
        ...outcome,
        ...(raced ? { failure: 'idleClose' as const } : {}),
      });
    });
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
    return work;
  }
}

/** One keep-alive connection of the sparse load, and how many requests its current socket carried. */
class SparseClient {
  requestsOnSocket = 0;
  constructor(readonly client: Client) {
    client.on('disconnect', () => {
      this.requestsOnSocket = 0;
    });
  }
}

interface Planned {
  readonly path: string;
  readonly slow: boolean;
  /** A JSON body: the request is `POST` and the answer must echo it. */
  readonly body?: string;
}

/** An exponentially distributed time with the given mean. */
function exponential(meanMs: number): number {
  return -Math.log(1 - Math.random()) * meanMs;
}

/** `http`: keep-alive HTTP/1.1 through undici (a Pool, or one Client per connection with think times). */
export const httpLoad: LoadFactory = (options) => new HttpLoad(options);

type Outcome = Omit<RequestRecord, 'startedAt' | 'durationMs' | 'slow'>;

/** The header nginx's own error pages carry in `--lb nginx` (see balancer-nginx.ts). */
export const BALANCER_ERROR_HEADER = 'x-lameduck-balancer-error';

async function sendOne(
  dispatcher: Pool | Client,
  request: Planned,
  headers: Record<string, string>,
  newConnection = false,
): Promise<Outcome> {
  try {
    // `reset: true` sends Connection: close, so the connection serves this request only.
    const response = await dispatcher.request({
      path: request.path,
      method: request.body === undefined ? 'GET' : 'POST',
      headers: request.body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      ...(request.body === undefined ? {} : { body: request.body }),
      reset: newConnection,
    });
    const text =
      request.body === undefined
        ? await response.body.dump({ limit: 1 << 20 }).then(
            () => '',
            () => '',
          )
        : await response.body.text().catch(() => '');
    // A request that asked for Connection: close gets it back; only count the server's own.
    const connectionClose =
      !newConnection && String(response.headers.connection ?? '').toLowerCase() === 'close';
    const status = response.statusCode;
    const failure = statusFailure(status);
    if (failure !== undefined) {
      const byBalancer = response.headers[BALANCER_ERROR_HEADER] !== undefined;
      return {
        status,
        failure: byBalancer ? 'balancer5xx' : failure,
        error: byBalancer ? `HTTP ${status} from the balancer itself` : `HTTP ${status}`,
        connectionClose,
      };
    }
    if (request.body !== undefined && !sameJson(text, request.body)) {
      return {
        status,
        failure: 'other',
        error: `POST / answered ${status} without echoing the JSON body it got`,
        connectionClose,
      };
    }
    return { status, connectionClose };
  } catch (error) {
    const { failure, message } = classifyFailure(error);
    return { failure, error: message, connectionClose: false };
  }
}

function sameJson(text: string, sent: string): boolean {
  try {
    return JSON.stringify(JSON.parse(text)) === sent;
  } catch {
    return false;
  }
}

/**
 * One long `GET /slow?ms=N` on its own keep-alive connection through the balancer.
 * `onConnected` receives the connection's local port, so that the kube-proxy balancer can tell
 * which pod it was routed to (its conntrack entry); HAProxy is steered with a pin header.
 */
export async function sendLongRequest(
  slowPath: string,
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
    const outcome = await sendOne(client, { path: `${slowPath}?ms=${ms}`, slow: true }, headers);
    return { startedAt, durationMs: performance.now() - startedAt, slow: true, ...outcome };
  } finally {
    await client.close().catch(() => undefined);
  }
}

import type * as http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type * as http2 from 'node:http2';
import type * as https from 'node:https';
import type { ProbePaths, ResolvedProbePaths } from './probes.js';

/** The phases of the shutdown sequence, in order. */
export type State = 'starting' | 'serving' | 'draining' | 'closing' | 'cleanup' | 'stopped';

/** When the readiness probe starts failing once draining begins. */
export type FailReadiness = 'immediately' | 'after-drain-delay' | 'never';

/** What start-up diagnostics do with a finding. */
export type DiagnosticsMode = 'warn' | 'off' | 'strict';

/** The default logger's levels (`LAMEDUCK_LOG_LEVEL`). */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** A pino-compatible logger: `logger.info({ state }, 'message')`. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Where signals come from. Defaults to `process`; tests inject an EventEmitter. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  removeListener(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

/** The timers lameduck uses. Defaults to the global ones; tests may inject fakes. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { unref?(): unknown };
  clearTimeout(handle: unknown): void;
}

/**
 * A server lameduck can drain: node http, https, and HTTP/2 (`http2.createServer()` for h2c,
 * `http2.createSecureServer()` for h2, with or without `allowHTTP1`).
 */
export type DrainableServer = http.Server | https.Server | http2.Http2Server | http2.Http2SecureServer;

/** How a server takes part in the drain. */
export interface AttachOptions {
  /**
   * `'app'` servers drain first. An `'admin'` server (metrics, probes, preStop on a port no
   * Service exposes) keeps answering until the app servers have drained, then closes last;
   * its traffic never extends the adaptive drain delay.
   * @default 'app'
   */
  readonly role?: 'app' | 'admin';
  /**
   * Answer the readiness and liveness probes (and a preStop path, when set) in the server's
   * request listener, before the app sees the request: no framework middleware or route is
   * needed, and no framework work is spent on a request that is not a probe. `true` serves them
   * at the default paths (`/readyz`, `/livez`). The server must have exactly one request
   * listener when attached (what `http.createServer(app)` and `app.listen()` return). Off by
   * default here; the adapters turn it on for the servers they attach.
   * @default false
   */
  readonly probes?: boolean | ProbePaths;
}

export interface LameduckOptions {
  /**
   * How long to keep serving normally after shutdown starts, so that kube-proxy, ingresses
   * and load balancers stop sending new connections first. Env: `LAMEDUCK_DRAIN_DELAY_MS`.
   * @default 5000 when `KUBERNETES_SERVICE_HOST` is set, else 0
   */
  readonly drainDelayMs?: number;
  /**
   * Turns the adaptive drain delay on: the delay never ends before this minimum; after it, it
   * ends once no new traffic (probes aside) arrived for `drainQuietMs`, and at the latest at
   * `drainDelayMs`, which stays the maximum. Must cover the endpoint lag you rely on. Unset,
   * the delay is a fixed `drainDelayMs`. Env: `LAMEDUCK_DRAIN_DELAY_MIN_MS`.
   */
  readonly drainDelayMinMs?: number;
  /**
   * How long without new traffic counts as the traffic having left: ends the adaptive drain
   * delay; and once the listener closed, idle keep-alive sockets stay open while clients are
   * still reusing theirs, and close after this long without a reuse (at most half the drain
   * timeout). `0` closes idle sockets as the listener closes. Env: `LAMEDUCK_DRAIN_QUIET_MS`.
   * @default 1000
   */
  readonly drainQuietMs?: number;
  /**
   * The bearer token a preStop `httpGet` must send (`Authorization: Bearer <token>`); without
   * one the preStop path is refused unless it is served only on an admin server. Unset by
   * default. Env: `LAMEDUCK_PRESTOP_TOKEN`.
   */
  readonly preStopToken?: string;
  /**
   * How long in-flight requests may take to finish once the listener closed; sockets still
   * busy then are destroyed. Env: `LAMEDUCK_DRAIN_TIMEOUT_MS`.
   * @default 10000
   */
  readonly drainTimeoutMs?: number;
  /**
   * When the listener closes, WebSockets get their close frame and SSE streams their end at a
   * random moment within this window (at most half the drain timeout), so that clients do not
   * all reconnect to the other replicas at once. Env: `LAMEDUCK_CLOSE_WINDOW_MS`.
   * @default 1000
   */
  readonly closeWindowMs?: number;
  /**
   * The close code each WebSocket gets: 1001 (going away) or 1012 (service restart).
   * Env: `LAMEDUCK_WEBSOCKET_CLOSE_CODE`.
   * @default 1001
   */
  readonly webSocketCloseCode?: 1001 | 1012;
  /**
   * Total time for all cleanup hooks. Env: `LAMEDUCK_CLEANUP_TIMEOUT_MS`.
   * @default 5000
   */
  readonly cleanupTimeoutMs?: number;
  /**
   * Default timeout of one cleanup hook. Env: `LAMEDUCK_HOOK_TIMEOUT_MS`.
   * @default 3000
   */
  readonly hookTimeoutMs?: number;
  /**
   * Head room kept between the end of the sequence and SIGKILL. Env: `LAMEDUCK_MARGIN_MS`.
   * @default 2000
   */
  readonly marginMs?: number;
  /**
   * The pod's `terminationGracePeriodSeconds`. Env: `LAMEDUCK_GRACE_PERIOD_SECONDS`.
   * @default 30
   */
  readonly gracePeriodSeconds?: number;
  /**
   * The pod's preStop `sleep` seconds (they count against the grace period).
   * Env: `LAMEDUCK_PRESTOP_SLEEP_SECONDS`.
   * @default 0
   */
  readonly preStopSleepSeconds?: number;
  /**
   * When readiness starts failing after shutdown begins: `'immediately'`, `'after-drain-delay'`
   * (when the listener closes) or `'never'` (readiness answers from its checks until exit).
   * Env: `LAMEDUCK_FAIL_READINESS`.
   * @default 'immediately'
   */
  readonly failReadiness?: FailReadiness;
  /**
   * Signals that start the shutdown; `false` when a framework or another library owns them.
   * @default ['SIGTERM', 'SIGINT']
   */
  readonly signals?: readonly NodeJS.Signals[] | false;
  /**
   * Exit code when a second signal forces an immediate exit.
   * @default 130
   */
  readonly forceExitCode?: number;
  /**
   * Whether the sequence ends with `exit(code)`. Set `false` when the app exits by itself.
   * @default true
   */
  readonly exitOnStopped?: boolean;
  /**
   * Mark the instance ready as soon as an attached server is listening. Set `false` to call
   * `ready()` yourself after warm-up.
   * @default true
   */
  readonly readyOnListening?: boolean;
  /**
   * Start-up diagnostics (SIGTERM path through `/proc`, unknown `LAMEDUCK_*` variables,
   * keep-alive timeouts): `'warn'` logs each finding once, `'off'` skips them, `'strict'`
   * throws a `LAMEDUCK_DIAGNOSTIC` error instead. Env: `LAMEDUCK_DIAGNOSTICS`.
   * @default 'warn'
   */
  readonly diagnostics?: DiagnosticsMode;
  /**
   * The idle timeout of the load balancer or proxy in front (ALB 60000, nginx upstream
   * keepalive_timeout 60000): each attached server whose `keepAliveTimeout` is not above it
   * gets a start-up warning. Unset: no check. Env: `LAMEDUCK_BALANCER_IDLE_TIMEOUT_MS`.
   */
  readonly balancerIdleTimeoutMs?: number;
  /** Print the one-line summary at the end. @default true */
  readonly summary?: boolean;
  /** pino-compatible logger. Default: JSON lines on stderr, silent under test runners. */
  readonly logger?: Logger;
  /** Called with the exit code at the end. @default process.exit */
  readonly exit?: (code: number) => void;
  /** Signal source. @default process */
  readonly signalSource?: SignalSource;
  /** Timers. @default the global timers */
  readonly clock?: Clock;
  /** Environment to read `LAMEDUCK_*` and `KUBERNETES_SERVICE_HOST` from. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The options after defaults, environment and validation. */
export interface ResolvedOptions {
  readonly drainDelayMs: number;
  /** The adaptive delay's minimum; undefined when the delay is fixed. */
  readonly drainDelayMinMs: number | undefined;
  readonly drainQuietMs: number;
  readonly drainTimeoutMs: number;
  readonly closeWindowMs: number;
  readonly webSocketCloseCode: 1001 | 1012;
  readonly cleanupTimeoutMs: number;
  readonly hookTimeoutMs: number;
  readonly marginMs: number;
  readonly gracePeriodSeconds: number;
  readonly preStopSleepSeconds: number;
  readonly failReadiness: FailReadiness;
  readonly signals: readonly NodeJS.Signals[];
  readonly forceExitCode: number;
  readonly exitOnStopped: boolean;
  readonly readyOnListening: boolean;
  readonly summary: boolean;
  readonly diagnostics: DiagnosticsMode;
  /** Undefined when not stated: no keep-alive check. */
  readonly balancerIdleTimeoutMs: number | undefined;
  /** `LAMEDUCK_LOG_LEVEL`, checked: the default logger's level. */
  readonly logLevel: LogLevel;
}

/** Options of `trackStream(res, options)`. */
export interface StreamOptions {
  /**
   * How to end the response when the listener closes (write a last chunk, then `res.end()`).
   * An SSE stream gets its `retry:` hint before this runs.
   * @default res.end()
   */
  readonly end?: (res: ServerResponse) => void;
}

export interface HookOptions {
  /** How long this hook may run. @default the instance's `hookTimeoutMs` */
  readonly timeoutMs?: number;
}

export interface ReadinessCheckOptions {
  /** How long the check may take before it counts as failed. @default 1000 */
  readonly timeoutMs?: number;
}

/** A cleanup hook: close a DB pool, flush telemetry. May be async. */
export type Hook = () => unknown;

/** A readiness check: resolve (or return) truthy/undefined when healthy; throw or return false when not. */
export type ReadinessCheck = () => unknown;

export interface HookResult {
  readonly name: string;
  readonly ok: boolean;
  readonly durationMs: number;
  readonly error?: string;
}

/** What ended the drain delay: the quiet rule (adaptive) or the maximum (`drainDelayMs`). */
export type DrainDelayEnd = 'quiet' | 'maximum';

export interface DrainDelayOutcome {
  readonly endedBy: DrainDelayEnd;
  /** How long the drain delay lasted. */
  readonly ms: number;
}

/** The numbers of the servers of one role (`attach(server, { role })`). */
export interface ServerRoleResult {
  readonly role: 'app' | 'admin';
  /** When their listeners closed, in ms from the start of the shutdown (undefined: never). */
  readonly listenerClosedAtMs: number | undefined;
  readonly requestsDuringDrain: number;
  readonly socketsClosed: number;
  readonly socketsDestroyed: number;
}

/** What `stats()` returns: where the sequence stands, at any time. */
export interface LameduckStats {
  readonly state: State;
  /** HTTP/1.1 requests whose response has not closed yet (app and admin servers). */
  readonly inFlight: number;
  /** Open connections by kind. */
  readonly open: {
    readonly http: number;
    readonly admin: number;
    readonly h2Sessions: number;
    readonly webSockets: number;
  };
  readonly requestsDuringDrain: number;
  readonly socketsClosed: number;
  readonly socketsDestroyed: number;
  readonly socketsClosedMidHeaders: number;
  readonly webSocketsClosed: number;
  readonly webSocketsTerminated: number;
  readonly sessionsClosed: number;
  readonly sessionsDestroyed: number;
  readonly streamsEnded: number;
  /** preStop requests refused (no or wrong token). */
  readonly preStopRefused: number;
}

/** What the shutdown promise resolves with. */
export interface ShutdownResult {
  readonly reason: string;
  readonly exitCode: number;
  /** Milliseconds spent in each phase. */
  readonly phases: Readonly<Record<'draining' | 'closing' | 'cleanup', number>>;
  readonly totalMs: number;
  /** Requests (HTTP/2 streams included) that started after shutdown began (all were served normally). */
  readonly requestsDuringDrain: number;
  /** Sockets that ended on their own or were closed while idle. */
  readonly socketsClosed: number;
  /** Sockets still busy at the drain timeout and destroyed. */
  readonly socketsDestroyed: number;
  /** WebSockets that closed with a close handshake while closing. */
  readonly webSocketsClosed: number;
  /** WebSockets still open at the drain timeout, terminated (no handshake). */
  readonly webSocketsTerminated: number;
  /** SSE streams and marked endless responses that lameduck ended while closing. */
  readonly streamsEnded: number;
  /** HTTP/2 sessions that went away (GOAWAY) and closed once their streams finished. */
  readonly sessionsClosed: number;
  /** HTTP/2 sessions still open at the drain timeout and destroyed. */
  readonly sessionsDestroyed: number;
  /**
   * Sockets closed once the listener had closed because their request headers were still
   * incomplete at the end of their grace (slow or stalled clients). No request was received
   * on them, so nothing was lost: they do not change the exit code.
   */
  readonly socketsClosedMidHeaders: number;
  /** What ended the drain delay (the quiet rule or the maximum) and after how long. */
  readonly drainDelay: DrainDelayOutcome;
  /** The app servers' numbers, then the admin servers' (when any is attached). */
  readonly servers: readonly ServerRoleResult[];
  readonly hooks: readonly HookResult[];
  /** True when the overall deadline fired before the sequence finished. */
  readonly deadlineExceeded: boolean;
}

export interface ProbeResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface LameduckEvents {
  state: [state: State, previous: State];
  starting: [];
  serving: [];
  draining: [reason: string];
  closing: [];
  cleanup: [];
  stopped: [result: ShutdownResult];
}

/** The instance `createLameduck()` returns. */
export interface Lameduck {
  /** The current phase. */
  readonly state: State;
  /** The resolved options (defaults, env and your options merged). */
  readonly options: ResolvedOptions;
  /**
   * Track a server's connections and requests so they can be drained. Call it after the app's
   * own request handler was registered; several servers are allowed. Returns a detach function.
   */
  attach(server: DrainableServer, options?: AttachOptions): () => void;
  /**
   * Adapters call it with the probe paths they serve: requests to them are probes and do not
   * count as traffic for the adaptive drain delay. Throws `LAMEDUCK_PRESTOP_TOKEN_MISSING` when a
   * preStop path is served with no token and not `adminOnly`.
   */
  registerProbePaths(paths: ResolvedProbePaths): void;
  /**
   * Track a `ws` WebSocketServer (what `@fastify/websocket` and Nest's `WsAdapter` use too) or a
   * socket.io `Server`: when the listener closes, each WebSocket gets a close frame
   * (`webSocketCloseCode`), spread over `closeWindowMs`; a socket.io client's transport is
   * closed so that it reconnects. Returns a function that stops tracking.
   */
  trackWebSockets(server: unknown): () => void;
  /**
   * Mark an endless response that is not an SSE stream (SSE streams are found without it): a
   * long poll, a download the client can resume. It is ended (see `options.end`) when the
   * listener closes, within the close window.
   */
  trackStream(res: ServerResponse, options?: StreamOptions): void;
  /**
   * Where the sequence stands: state, requests in flight, open connections by kind, counts so
   * far. Cheap; safe to call from a metrics endpoint.
   */
  stats(): LameduckStats;
  /** Readiness starts answering 200 (state `starting` → `serving`). */
  ready(): void;
  /** Register a cleanup hook, run after HTTP has drained, last registered first. Returns an unregister function. */
  onShutdown(name: string, hook: Hook, options?: HookOptions): () => void;
  /** Add a check the readiness probe runs while serving. Returns an unregister function. */
  addReadinessCheck(name: string, check: ReadinessCheck, options?: ReadinessCheckOptions): () => void;
  /** Start the shutdown sequence. Idempotent: every caller gets the same promise. */
  shutdown(reason?: string): Promise<ShutdownResult>;
  /**
   * Track one request/response pair. `attach()` does this for every request; adapters call it
   * too, so it is safe to call twice for the same request.
   */
  trackRequest(req: IncomingMessage, res: ServerResponse): void;
  /** The readiness answer, for adapters that send responses their own way. */
  readiness(): Promise<ProbeResponse>;
  /** The liveness answer (200 until exit). */
  liveness(): ProbeResponse;
  /** A node `(req, res)` handler that answers the readiness probe. */
  readonly readinessHandler: (req: IncomingMessage, res: ServerResponse) => void;
  /** A node `(req, res)` handler that answers the liveness probe. */
  readonly livenessHandler: (req: IncomingMessage, res: ServerResponse) => void;
  /**
   * A node `(req, res)` handler for a Kubernetes preStop `httpGet`: starts the shutdown and
   * answers once the drain delay has passed, so that the kubelet sends SIGTERM after it. Only
   * a request with `Authorization: Bearer <preStopToken>` (or, without a token, one that
   * arrived on an admin server) may; anything else gets 401 and the pod keeps serving.
   */
  readonly preStopHandler: (req: IncomingMessage, res: ServerResponse) => void;
  /**
   * Remove every listener and timer this instance installed. A shutdown still running goes on
   * to resolve its result but no longer exits the process.
   */
  dispose(): void;
  on<E extends keyof LameduckEvents>(event: E, listener: (...args: LameduckEvents[E]) => void): this;
  once<E extends keyof LameduckEvents>(event: E, listener: (...args: LameduckEvents[E]) => void): this;
  off<E extends keyof LameduckEvents>(event: E, listener: (...args: LameduckEvents[E]) => void): this;
}

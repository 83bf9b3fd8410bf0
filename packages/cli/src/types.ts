/** Which balancer sits in front of the replicas. */
export type BalancerMode = 'nftables' | 'kube-proxy' | 'haproxy' | 'nginx';

/** Which protocol the load speaks: keep-alive HTTP/1.1, or HTTP/2 cleartext streams (h2c). */
export type LoadKind = 'http' | 'h2';

/** What the load does while the pod is deleted. */
export type LoadProfile = 'steady' | 'idle';

/** The pod's preStop hook: a `sleep` action or an `httpGet` on a path of the replica. */
export type PreStop = { readonly sleepSeconds: number } | { readonly httpGetPath: string };

/**
 * How a request failed. `ok` requests got a 2xx. `idleClose`: the idle-close race, a request
 * sent on a reused keep-alive connection that the server closed as the request went out (no
 * answer, the socket closed or reset). `balancer5xx`: an error page of the balancer itself
 * (nginx's 502/504), told apart from `status5xx`, the app's own.
 */
export type FailureClass =
  | 'refused'
  | 'reset'
  | 'closed'
  | 'idleClose'
  | 'status5xx'
  | 'balancer5xx'
  | 'timeout'
  | 'other';

export const FAILURE_CLASSES: readonly FailureClass[] = Object.freeze([
  'refused',
  'reset',
  'closed',
  'idleClose',
  'status5xx',
  'balancer5xx',
  'timeout',
  'other',
]);

export interface SimulationOptions {
  /** The argv of one replica, such as `['node', 'server.js']`. Spawned directly, never through a shell. */
  readonly command: readonly string[];
  /** Working directory of the replicas. @default process.cwd() */
  readonly cwd?: string;
  /** Extra environment for the replicas (on top of this process's environment, `PORT` and `HOST`). */
  readonly env?: Readonly<Record<string, string>>;
  /** How many replicas serve before the deletion. @default 2 */
  readonly replicas?: number;
  /** The readiness probe path of the replicas. @default '/readyz' */
  readonly readinessPath?: string;
  /** How long one replica may take to answer its readiness probe with 200. @default 20000 */
  readonly startTimeoutMs?: number;
  /** `kube-proxy`: a TCP balancer with conntrack semantics; `haproxy`: a real HAProxy health-checking the readiness probe. @default 'kube-proxy' */
  readonly lb?: BalancerMode;
  /**
   * How long after the deletion the balancer stops sending new connections to the pod (endpoint
   * propagation lag). In `haproxy` mode the default is no deregistration at all: HAProxy learns
   * about the deletion from its health checks only.
   * @default 1000 (kube-proxy)
   */
  readonly lagMs?: number;
  /** The pod's preStop hook. @default none */
  readonly preStop?: PreStop;
  /** The pod's `terminationGracePeriodSeconds`, counted from the deletion, preStop included. @default 30 */
  readonly gracePeriodSeconds?: number;
  /** Start a replacement replica and wait for it to be ready before deleting (maxUnavailable: 0). @default false */
  readonly replace?: boolean;
  /**
   * `h2`: HTTP/2 cleartext streams with node's http2 client instead of HTTP/1.1 (the replicas
   * serve h2c; an L4 balancer only, `nftables` or `kube-proxy`). @default 'http'
   */
  readonly protocol?: LoadKind;
  /** Keep-alive connections of the client pool. @default 8 */
  readonly connections?: number;
  /** Requests per second while the load is steady. @default 100 */
  readonly rate?: number;
  /**
   * Requests per second that each open a NEW connection (`GET /` with `Connection: close`):
   * the other clients that keep arriving. Shows what the balancer does with new connections
   * during the lag. @default 10
   */
  readonly newConnectionRate?: number;
  /** Share of the requests that are slow (`GET /slow?ms=…`), from 0 to 1. @default 0.2 */
  readonly slowRatio?: number;
  /** How long a slow request takes. @default 300 */
  readonly slowMs?: number;
  /** `POST`: the requests that are not slow send a small JSON body to `POST /`, which the service echoes; never retried. @default 'GET' */
  readonly method?: 'GET' | 'POST';
  /**
   * Mean think time of each keep-alive connection, in ms: every connection sends, then waits an
   * exponentially distributed time, then sends again (many sockets idle when the listener
   * closes: the idle-close race). Replaces `rate`. @default 0 (off)
   */
  readonly thinkMs?: number;
  /** The slow route: `GET <slowPath>?ms=N`. Checked before the run; without it the run has no slow requests. @default '/slow' */
  readonly slowPath?: string;
  /** `steady`: continuous load; `idle`: the pool's keep-alive connections are open but idle during the deletion. @default 'steady' */
  readonly load?: LoadProfile;
  /** Load before the pod is deleted. @default 1500 */
  readonly deleteAfterMs?: number;
  /** Load after the pod exited. @default 1000 */
  readonly afterExitMs?: number;
  /** Stop the load this long after it started, whatever happens to the pod. @default until `afterExitMs` after the exit */
  readonly durationMs?: number;
  /** Send one `GET /slow?ms=<this>` to the deleted pod just before the deletion. @default none */
  readonly longRequestMs?: number;
  /** How long the client waits for response headers or body before it counts a timeout. @default 10000 + the longest request */
  readonly requestTimeoutMs?: number;
  /** WebSocket clients on `/ws` (echo), besides the HTTP load; they reconnect with back-off. @default 0 */
  readonly webSockets?: number;
  /** The WebSocket clients speak socket.io (socket.io-client, path `/ws`, WebSocket transport). @default false */
  readonly socketIo?: boolean;
  /** SSE readers on `/events`, besides the HTTP load; they reconnect after `retry:`. @default 0 */
  readonly sseStreams?: number;
  /** The HAProxy binary. @default 'haproxy' */
  readonly haproxyPath?: string;
  /** The nginx binary. @default 'nginx' */
  readonly nginxPath?: string;
  /** Called with progress updates while the simulation runs. */
  readonly onProgress?: (update: ProgressUpdate) => void;
  /** Called with each line a replica writes on stdout or stderr. */
  readonly onReplicaOutput?: (pod: string, line: string) => void;
  /** Aborts the simulation; every process it started is killed. */
  readonly signal?: AbortSignal;
}

export type TimelineKind =
  | 'replacement-started'
  | 'replacement-ready'
  | 'long-request-sent'
  | 'deleted'
  | 'prestop-started'
  | 'prestop-finished'
  | 'sigterm'
  | 'readiness-failed'
  | 'balancer-marked-down'
  | 'endpoint-removed'
  | 'listener-closed'
  | 'long-request-finished'
  | 'sigkill'
  | 'exited';

export interface TimelineEvent {
  /** Milliseconds since the deletion (negative before it). */
  readonly atMs: number;
  readonly kind: TimelineKind;
  readonly detail: string;
}

export interface RequestStats {
  readonly total: number;
  readonly ok: number;
  readonly failed: number;
  readonly failures: Readonly<Record<FailureClass, number>>;
  /** Responses that carried `Connection: close`. */
  readonly connectionClose: number;
  /** HTTP/2 streams refused as retryable (above a GOAWAY's last stream id) and sent again on a new connection. */
  readonly retried: number;
  readonly slow: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** A few distinct error messages, for the report. */
  readonly errorSamples: readonly string[];
}

export interface PodOutcome {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** Whether the kubelet had to send SIGKILL. */
  readonly killed: boolean;
  /** Milliseconds from SIGTERM to exit (null when SIGTERM was never sent). */
  readonly exitAfterSigtermMs: number | null;
  /** Milliseconds from the deletion to exit. */
  readonly exitAfterDeletionMs: number;
  /**
   * `pid-namespace`: the command was PID 1 of its own PID namespace, as in a container;
   * `process-group`: unshare was not usable, the command ran in its own process group.
   */
  readonly isolation: 'pid-namespace' | 'process-group';
  /** The process that got SIGTERM (PID 1 of the pod): its name (`node`, `npm`, `sh`) and command line. */
  readonly sigtermTo: { readonly pid: number; readonly name: string; readonly commandLine: string } | null;
  /** Names of the processes still in the pod when its PID 1 exited; the runtime killed them with it. */
  readonly leftBehind: readonly string[];
}

export interface LongRequestOutcome {
  readonly ms: number;
  readonly ok: boolean;
  readonly durationMs: number;
  readonly failure?: FailureClass;
  readonly error?: string;
}

export interface BalancerStats {
  /** New connections (kube-proxy) or health-check state (HAProxy) per endpoint. */
  readonly connections: Readonly<Record<string, number>>;
  /** Connections the balancer accepted but the pod refused (the client saw a reset). */
  readonly refusedByPod: Readonly<Record<string, number>>;
  /** New connections per endpoint after the deletion (kube-proxy only): the lag at work. */
  readonly connectionsAfterDeletion: Readonly<Record<string, number>>;
  /**
   * Per removed endpoint (kube-proxy only): connections still open when it was removed, and the
   * bytes the pod sent on them afterwards (they kept flowing: conntrack).
   */
  readonly afterRemoval: Readonly<
    Record<
      string,
      {
        readonly open: number;
        readonly bytesFromPod: number;
        /** New connections that still reached the pod after its endpoint was removed (nftables: the kernel's counter). */
        readonly newConnections?: number;
      }
    >
  >;
  /** What else the balancer did worth a line in the report (the nftables terminating-endpoint fallback). */
  readonly notes?: readonly string[];
}

/** What the clients of one long-lived load (WebSockets or SSE streams) saw. */
export interface LongLivedStats {
  readonly clients: number;
  /** Connections the server ended, by how: a close code (`1001`, `1006`…), `end`, `reset`, `status 503`… */
  readonly endings: Readonly<Record<string, number>>;
  /** Endings without a close frame or a clean end: 1006, resets, aborted bodies, statuses other than 200. */
  readonly abnormal: number;
  /** Endings of connections that were on the deleted pod. */
  readonly endedOnDeletedPod: number;
  readonly reconnects: number;
  /** Clients that were on the deleted pod and reconnected to another one. */
  readonly reconnectedElsewhere: number;
  /** Clients that were on the deleted pod and came back to it (too early). */
  readonly reconnectedToDeletedPod: number;
  /** From the end of a connection on the deleted pod to the next open one. */
  readonly reconnectDelayMs: { readonly p50: number; readonly max: number };
  /** Connection attempts that failed (refused, reset, upgrade failed). */
  readonly failedAttempts: number;
  /** Connected when the load stopped. */
  readonly openAtEnd: number;
}

export interface SimulationReport {
  /** True when no request failed and the pod exited by itself. */
  readonly ok: boolean;
  /** Why the run failed, in words (empty when ok). */
  readonly problems: readonly string[];
  readonly command: readonly string[];
  readonly settings: {
    readonly lb: BalancerMode;
    /** Why another balancer than the default ran (the default could not run here), or null. */
    readonly lbNote: string | null;
    readonly replicas: number;
    readonly lagMs: number | null;
    readonly gracePeriodSeconds: number;
    readonly preStop: string;
    readonly replace: boolean;
    readonly load: LoadProfile;
    readonly protocol: LoadKind;
    readonly connections: number;
    readonly rate: number;
    readonly newConnectionRate: number;
    readonly slowRatio: number;
    readonly slowMs: number;
    /** The slow route, or null when the service did not have it (no slow requests then). */
    readonly slowPath: string | null;
    readonly method: 'GET' | 'POST';
    readonly thinkMs: number;
    readonly longRequestMs: number | null;
  };
  readonly timeline: readonly TimelineEvent[];
  readonly requests: RequestStats;
  /** Requests that started between the deletion and the exit of the pod. */
  readonly requestsDuringTermination: { readonly ok: number; readonly failed: number };
  readonly pod: PodOutcome;
  readonly longRequest: LongRequestOutcome | null;
  readonly balancer: BalancerStats;
  /** Processes still running in the replicas at the end of the run, all killed then (the survivors' servers included). */
  readonly processesKilledAtEnd: number;
  /** Wall time of the whole run. */
  readonly durationMs: number;
  /** WebSocket and SSE clients, when `webSockets` / `sseStreams` asked for them. */
  readonly longLived?: { readonly webSockets?: LongLivedStats; readonly sseStreams?: LongLivedStats };
}

export type ProgressUpdate =
  | { readonly kind: 'status'; readonly message: string }
  | { readonly kind: 'event'; readonly event: TimelineEvent }
  | {
      readonly kind: 'tick';
      readonly elapsedMs: number;
      readonly ok: number;
      readonly failed: number;
      readonly inFlight: number;
      readonly phase: string;
    };

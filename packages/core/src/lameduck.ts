import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type Budget, checkBudget } from './budget.js';
import { channels, publish } from './channels.js';
import { systemClock, TIMED_OUT, withTimeout } from './clock.js';
import { ConnectionTracker } from './connections.js';
import { DEFAULTS } from './defaults.js';
import { keepAliveMessage, keepAliveTimeoutOf } from './diagnostics/keep-alive.js';
import { NoServerWatch } from './diagnostics/no-server.js';
import { createReport, type Report, runStartupDiagnostics } from './diagnostics/startup.js';
import { DrainTraffic, waitDrainDelay } from './drain-delay.js';
import { describeValue, ErrorCodes, LameduckError } from './errors.js';
import { StreamTracker } from './event-streams.js';
import { SessionTracker } from './h2-sessions.js';
import { checkHookArgs, type RegisteredHook, runHooks } from './hooks.js';
import { createDefaultLogger } from './logger.js';
import { resolveOptions } from './options.js';
import { plural } from './plural.js';
import { PreStopGate, preStopTokenMissing, resolvePreStopToken } from './prestop-auth.js';
import { createProbeRouter, type ProbeRouter } from './probe-router.js';
import {
  livenessResponse,
  matchProbe,
  type RegisteredCheck,
  type ResolvedProbePaths,
  readinessResponse,
  sendProbe,
} from './probes.js';
import { soleRequestListener } from './request-listener.js';
import { checkServer, stopAccepting, type WiredServer, wireServer } from './servers.js';
import { listenForSignals } from './signals.js';
import { roleNumbers, snapshotStats } from './stats.js';
import { summaryLine } from './summary.js';
import type {
  AttachOptions,
  Clock,
  DrainableServer,
  DrainDelayOutcome,
  HookOptions,
  HookResult,
  Lameduck,
  LameduckEvents,
  LameduckOptions,
  LameduckStats,
  Logger,
  ProbeResponse,
  ReadinessCheck,
  ReadinessCheckOptions,
  ResolvedOptions,
  ServerRoleResult,
  ShutdownResult,
  State,
  StreamOptions,
} from './types.js';
import { WebSocketTracker } from './websockets.js';

type PhaseTimes = Record<'draining' | 'closing' | 'cleanup', number>;

class LameduckInstance extends EventEmitter<LameduckEvents> implements Lameduck {
  readonly options: ResolvedOptions;
  readonly budget: Budget;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly exit: (code: number) => void;
  private readonly connections: ConnectionTracker;
  /** Connections of admin servers: they drain after the app servers, and close last. */
  private readonly adminConnections: ConnectionTracker;
  private readonly adminServers = new Set<DrainableServer>();
  /** Set while the drain delay runs: when non-probe traffic last arrived. */
  private traffic: DrainTraffic | undefined;
  private readonly webSockets: WebSocketTracker;
  private readonly streams: StreamTracker;
  private readonly sessions: SessionTracker;
  /** Each attached server's detach function and its wiring. */
  private readonly servers = new Map<
    DrainableServer,
    { detach: () => void; wired: WiredServer; answersProbes: boolean }
  >();
  /** Servers that had connections when attached: those sockets are not tracked. */
  private readonly acceptedBeforeAttach = new Set<DrainableServer>();
  private readonly hooks: RegisteredHook[] = [];
  private readonly checks: RegisteredCheck[] = [];
  private readonly probePaths: ResolvedProbePaths[] = [];
  /** Sockets of servers attached with `role: 'admin'`. */
  private readonly adminSockets = new WeakSet<Socket>();
  private readonly preStopGate: PreStopGate;
  private readonly removeSignalListeners: () => void;
  private readonly report: Report;
  private readonly noServer: NoServerWatch;
  private currentState: State = 'starting';
  private readinessFailing = false;
  private shutdownPromise: Promise<ShutdownResult> | undefined;
  private shutdownBySignal = false;
  private drainDelayDone: Promise<DrainDelayOutcome> | undefined;
  private deadlineTimer: unknown;
  private deadlineExceeded = false;
  private exited = false;
  private disposed = false;

  constructor(options: LameduckOptions) {
    super();
    this.options = resolveOptions(options);
    this.budget = checkBudget(this.options);
    this.clock = options.clock ?? systemClock;
    // lameduck's own waits at closing take at most half the drain timeout.
    const halfDrainTimeoutMs = Math.floor(this.options.drainTimeoutMs / 2);
    const trackerOptions = {
      clock: this.clock,
      firstRequestGraceMs: Math.min(DEFAULTS.firstRequestGraceMs, halfDrainTimeoutMs),
      keepAliveQuietMs: this.options.drainQuietMs,
      keepIdleMaxMs: halfDrainTimeoutMs,
      owner: this,
    };
    this.connections = new ConnectionTracker({
      ...trackerOptions,
      drainDelayMinMs: this.options.drainDelayMinMs ?? this.options.drainDelayMs,
    });
    // Admin servers close right after they start draining (no delay of their own).
    this.adminConnections = new ConnectionTracker(trackerOptions);
    this.webSockets = new WebSocketTracker({
      clock: this.clock,
      closeCode: this.options.webSocketCloseCode,
      releaseSocket: this.connections.release,
    });
    this.streams = new StreamTracker({
      clock: this.clock,
      inFlight: () => this.connections.inFlightResponses(),
    });
    this.sessions = new SessionTracker({
      clock: this.clock,
      pingTimeoutMs: Math.min(DEFAULTS.h2PingTimeoutMs, halfDrainTimeoutMs),
    });
    this.logger = options.logger ?? createDefaultLogger(options.env ?? process.env);
    this.exit = options.exit ?? ((code: number) => process.exit(code));
    this.preStopGate = new PreStopGate(
      resolvePreStopToken(options.preStopToken, options.env ?? process.env),
      (socket) => this.adminSockets.has(socket),
      this.logger,
      this.clock,
    );
    this.report = createReport(this.options.diagnostics, this.logger);
    runStartupDiagnostics({
      report: this.report,
      env: options.env ?? process.env,
      realSignals: options.signalSource === undefined,
    });
    this.noServer = new NoServerWatch(this.logger, this.clock);
    this.removeSignalListeners = listenForSignals(
      options.signalSource ?? process,
      this.options.signals,
      this.onSignal,
    );
  }

  get state(): State {
    return this.currentState;
  }

  attach(server: DrainableServer, options: AttachOptions = {}): () => void {
    this.assertUsable('attach');
    checkServer(server);
    const role = checkRole(options);
    const existing = this.servers.get(server);
    if (existing) {
      checkProbesOnReattach(options, existing.answersProbes);
      return existing.detach;
    }
    const answer = this.probesInFront(server, options);
    const onSocket =
      role === 'admin'
        ? (socket: Socket) => {
            this.adminSockets.add(socket);
            this.adminConnections.trackSocket(socket);
          }
        : this.connections.trackSocket;
    if (role === 'admin') this.adminServers.add(server);
    const wired = wireServer(server, {
      onSocket,
      onRequest: this.trackRequest,
      answer,
      // An error, not a warning: the probes now reach the app, which may answer /livez with a
      // 404 and have the pod restarted over and over.
      onUnanswered: () =>
        this.logger.error(
          { code: ErrorCodes.MISUSE },
          "lameduck: the server whose probes lameduck answers in front of the app (attach(server, { probes }), the Express and Koa adapters' listen(), the Fastify plugin, or LameduckModule) no longer has exactly one request listener, so the probes go to the app instead. Keep one request handler on the server (on NestJS, on app.getHttpServer()), or serve the probes in the app: probesInApp: true (Fastify plugin, LameduckModule), or probes: false and the adapter's probe middleware first, or createProbeRouter(lameduck).",
        ),
      onSession: this.sessions.trackSession,
      onListening: () => {
        this.checkKeepAlive(server);
        if (this.options.readyOnListening) this.ready();
      },
    });
    // Sockets accepted before attach() are not tracked; at closing, node's own
    // closeIdleConnections() finds the idle ones among them.
    server.getConnections((error, count) => {
      if (error === null && count > 0) this.acceptedBeforeAttach.add(server);
    });
    const detach = () => {
      wired.unwire();
      this.servers.delete(server);
      this.adminServers.delete(server);
      this.acceptedBeforeAttach.delete(server);
    };
    this.servers.set(server, { detach, wired, answersProbes: answer !== undefined });
    return detach;
  }

  /** The probe router of `attach(server, { probes })`, checked against the server's listeners. */
  private probesInFront(server: DrainableServer, options: AttachOptions): ProbeRouter | undefined {
    const probes = probesAsked(options);
    if (probes === undefined) return undefined;
    if (probes !== true && (typeof probes !== 'object' || probes === null || Array.isArray(probes))) {
      throw new LameduckError(
        ErrorCodes.INVALID_OPTION,
        `lameduck: attach(server, { probes }) expects true, false or the probe paths ({ readinessPath, livenessPath, preStopPath }), instead got ${describeValue(probes)}.`,
      );
    }
    if (soleRequestListener(server) === undefined) {
      const count = server.listenerCount('request');
      throw new LameduckError(
        ErrorCodes.MISUSE,
        `lameduck: attach(server, { probes }) answers the probes in front of the server's request handler, so the server needs exactly one when it is attached; this one has ${count === 1 ? 'one added with once()' : count}. Attach the server that http.createServer(app) or app.listen() returns, after its handler is set; or attach without { probes } and serve the probes in the app (the adapter's probe middleware first, or createProbeRouter(lameduck)).`,
      );
    }
    return createProbeRouter(this, probes === true ? {} : probes);
  }

  trackWebSockets(server: unknown): () => void {
    this.assertUsable('trackWebSockets');
    const untrack = this.webSockets.trackServer(server);
    // socket.io takes over the server's 'request' listeners and calls them only for requests
    // that are not its own: lameduck's must see its long polls too, so it goes first again.
    const io = server as { httpServer?: unknown; server?: { httpServer?: unknown } };
    const httpServer = (io.httpServer ?? io.server?.httpServer) as DrainableServer | undefined;
    if (httpServer !== undefined) this.servers.get(httpServer)?.wired.trackRequestsFirst();
    return untrack;
  }

  trackStream(res: ServerResponse, options: StreamOptions = {}): void {
    this.connections.trackRequest(res.req, res);
    this.streams.mark(res, options);
  }

  /** Once the code that listens has run (it may set keepAliveTimeout after attach()). */
  private checkKeepAlive(server: DrainableServer): void {
    const idle = this.options.balancerIdleTimeoutMs;
    if (idle === undefined || this.options.diagnostics === 'off') return;
    setImmediate(() => {
      if (this.disposed || !this.servers.has(server)) return;
      const message = keepAliveMessage(server, idle);
      if (message !== undefined)
        this.report('keep-alive', message, { keepAliveTimeout: keepAliveTimeoutOf(server) });
    });
  }

  ready(): void {
    if (this.currentState === 'starting') this.setState('serving');
  }

  onShutdown(name: string, hook: () => unknown, options: HookOptions = {}): () => void {
    this.assertUsable('onShutdown');
    checkHookArgs('onShutdown', name, hook, options.timeoutMs, this.options.cleanupTimeoutMs);
    const entry: RegisteredHook = {
      name,
      fn: hook,
      timeoutMs: options.timeoutMs ?? this.options.hookTimeoutMs,
    };
    this.hooks.push(entry);
    return () => removeItem(this.hooks, entry);
  }

  addReadinessCheck(name: string, check: ReadinessCheck, options: ReadinessCheckOptions = {}): () => void {
    this.assertUsable('addReadinessCheck');
    checkHookArgs('addReadinessCheck', name, check, options.timeoutMs);
    const entry: RegisteredCheck = {
      name,
      fn: check,
      timeoutMs: options.timeoutMs ?? DEFAULTS.readinessCheckTimeoutMs,
    };
    this.checks.push(entry);
    return () => removeItem(this.checks, entry);
  }

  trackRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (this.adminServers.size !== 0 && this.adminSockets.has(req.socket)) {
      this.adminConnections.trackRequest(req, res);
      return;
    }
    this.connections.trackRequest(req, res);
    // Only while the drain delay runs: a timestamp, no timer, no allocation.
    const traffic = this.traffic;
    if (traffic !== undefined && !this.isProbe(req)) traffic.note(this.clock.now());
    if (this.servers.size === 0) this.noServer.requestSeen();
  };

  stats(): LameduckStats {
    return snapshotStats(this.currentState, this.connections, this.adminConnections, {
      webSockets: this.webSockets,
      sessions: this.sessions,
      streams: this.streams,
      preStopRefused: this.preStopGate.refused,
    });
  }

  readiness(): Promise<ProbeResponse> {
    if (this.servers.size === 0) this.noServer.probeSeen(this.currentState === 'starting');
    return readinessResponse(this.currentState, this.readinessFailing, this.checks, this.clock);
  }

  liveness(): ProbeResponse {
    return livenessResponse(this.currentState);
  }

  readonly readinessHandler = (req: IncomingMessage, res: ServerResponse): void => {
    void this.readiness().then((answer) => sendProbe(req, res, answer));
  };

  readonly livenessHandler = (req: IncomingMessage, res: ServerResponse): void => {
    sendProbe(req, res, this.liveness());
  };

  registerProbePaths(paths: ResolvedProbePaths): void {
    this.assertUsable('registerProbePaths');
    if (paths.preStopPath !== false && !paths.adminOnly && !this.preStopGate.hasToken) {
      throw preStopTokenMissing(paths.preStopPath);
    }
    if (!this.probePaths.includes(paths)) this.probePaths.push(paths);
  }

  /** Whether a request targets a probe path an adapter registered (drain path only). */
  private isProbe(req: IncomingMessage): boolean {
    for (const paths of this.probePaths) {
      if (matchProbe(req.method, req.url, paths) !== undefined) return true;
    }
    return false;
  }

  readonly preStopHandler = (req: IncomingMessage, res: ServerResponse): void => {
    if (!this.preStopGate.allows(req)) {
      this.preStopGate.refuse(req, res);
      return;
    }
    void this.shutdown('preStop');
    void (this.drainDelayDone ?? Promise.resolve()).then(() =>
      sendProbe(req, res, { statusCode: 200, headers: {}, body: '' }),
    );
  };

  shutdown(reason = 'shutdown() called'): Promise<ShutdownResult> {
    if (this.shutdownPromise === undefined) {
      if (this.disposed) throw disposedError('shutdown');
      this.shutdownPromise = this.runSequence(String(reason));
    }
    return this.shutdownPromise;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.removeSignalListeners();
    for (const { detach } of [...this.servers.values()]) detach();
    if (this.deadlineTimer !== undefined) this.clock.clearTimeout(this.deadlineTimer);
    this.removeAllListeners();
  }

  private readonly onSignal = (signal: NodeJS.Signals): void => {
    if (this.shutdownBySignal) {
      this.logger.warn(
        { signal, exitCode: this.options.forceExitCode },
        `lameduck: second ${signal} received, exiting at once with code ${this.options.forceExitCode}`,
      );
      this.finish(this.options.forceExitCode);
      return;
    }
    this.shutdownBySignal = true;
    void this.shutdown(signal);
  };

  private async runSequence(reason: string): Promise<ShutdownResult> {
    const startedAt = this.clock.now();
    // The deadline exists before any user code runs: a hook that hangs cannot outlive it.
    const deadline = this.clock.setTimeout(() => this.onDeadline(), this.budget.deadlineMs);
    deadline.unref?.();
    this.deadlineTimer = deadline;
    const phases: PhaseTimes = { draining: 0, closing: 0, cleanup: 0 };

    if (this.servers.size === 0 && this.connections.sawRequests) {
      this.logger.warn(
        { code: ErrorCodes.MISUSE },
        'lameduck: shutdown started but no server is attached, so the listener cannot be closed and idle sockets cannot be found. Call lameduck.attach(server) with the server app.listen() returns. Requests in flight still finish with Connection: close.',
      );
    }

    let mark = startedAt;
    const phaseDone = (phase: keyof PhaseTimes) => {
      const now = this.clock.now();
      phases[phase] = now - mark;
      mark = now;
    };

    // draining: keep serving; every response says Connection: close.
    if (this.options.failReadiness === 'immediately') this.readinessFailing = true;
    this.connections.startDraining();
    this.adminConnections.startCounting();
    this.sessions.startDraining();
    this.setState('draining', reason);
    this.traffic = new DrainTraffic(this.clock.now());
    this.drainDelayDone = waitDrainDelay(
      this.clock,
      {
        minMs: this.options.drainDelayMinMs,
        maxMs: this.options.drainDelayMs,
        quietMs: this.options.drainQuietMs,
      },
      this.traffic,
      () => this.sessions.streamsDuringDrain + this.webSockets.opened,
    );
    const drainDelay = await this.drainDelayDone;
    this.traffic = undefined;
    this.logger.info(
      { drainDelay },
      `lameduck: drain delay ended after ${drainDelay.ms} ms (${drainDelay.endedBy === 'quiet' ? `no new traffic for ${this.options.drainQuietMs} ms` : 'maximum reached'})`,
    );
    publish(channels.drainDelayEnd, () => ({ lameduck: this, ...drainDelay }));
    if (this.options.failReadiness === 'after-drain-delay') this.readinessFailing = true;
    phaseDone('draining');

    // closing: stop accepting, close idle sockets, wait for in-flight work. With
    // failReadiness 'never' readiness keeps answering from its checks until exit.
    this.setState('closing');
    const servers = [...this.servers.keys()].filter((server) => !this.adminServers.has(server));
    const adminServers = [...this.adminServers];
    const serversClosed = servers.map((server) => this.closeListener(server, 'app'));
    const closedAt: Record<'app' | 'admin', number | undefined> = { app: this.clock.now(), admin: undefined };
    this.connections.startClosing();
    // WebSockets and endless responses leave now, spread over the close window.
    const closeWindowMs = Math.min(this.options.closeWindowMs, this.options.drainTimeoutMs / 2);
    this.webSockets.startClosing(closeWindowMs);
    this.streams.startClosing(closeWindowMs);
    const socketsClosed = Promise.all([
      this.connections.whenAllClosed(),
      this.webSockets.whenAllClosed(),
      this.sessions.whenAllClosed(),
    ]);
    const allClosed = socketsClosed
      .then(() => {
        // Sockets accepted before attach() are not tracked; node knows which of them are idle.
        // (Only there: for 10,000 sockets lameduck closed, node's walk over them costs ~30 ms.)
        for (const server of servers) {
          if (this.acceptedBeforeAttach.has(server) && 'closeIdleConnections' in server) {
            server.closeIdleConnections();
          }
        }
        return Promise.all(serversClosed);
      })
      .then(() => {
        // Admin servers (metrics, probes) answered through the whole drain; they close last.
        if (adminServers.length === 0) return undefined;
        closedAt.admin = this.clock.now();
        const adminClosed = adminServers.map((server) => this.closeListener(server, 'admin'));
        this.adminConnections.startClosing();
        return this.adminConnections.whenAllClosed().then(() => {
          for (const server of adminServers)
            if ('closeIdleConnections' in server) server.closeIdleConnections();
          return Promise.all(adminClosed);
        });
      });
    const drained = await withTimeout(this.clock, allClosed, this.options.drainTimeoutMs);
    if (drained === TIMED_OUT) {
      const { socketCount, inFlightCount } = this.connections;
      const { sessionCount } = this.sessions;
      this.logger.warn(
        { sockets: socketCount, inFlight: inFlightCount, sessions: sessionCount },
        `lameduck: drain timeout (${this.options.drainTimeoutMs} ms) reached, destroying ${plural(socketCount, 'busy socket')}${sessionCount > 0 ? ` and ${plural(sessionCount, 'HTTP/2 session')}` : ''} and terminating ${plural(this.webSockets.openCount, 'WebSocket')}`,
      );
      this.webSockets.terminateAll();
      this.connections.destroyAll();
      this.adminConnections.destroyAll();
      this.sessions.destroyAll();
      for (const server of this.servers.keys())
        if ('closeAllConnections' in server) server.closeAllConnections();
    }
    this.streams.stop();
    phaseDone('closing');

    // cleanup: user hooks, last registered first.
    this.setState('cleanup');
    const hooks: HookResult[] = await runHooks(
      this.hooks,
      this.options.cleanupTimeoutMs,
      this.clock,
      this.logger,
      {
        start: (name) => publish(channels.hookStart, () => ({ lameduck: this, name })),
        end: (hook) => publish(channels.hookEnd, () => ({ lameduck: this, ...hook })),
      },
    );
    phaseDone('cleanup');

    const clean =
      this.connections.socketsDestroyed === 0 &&
      this.adminConnections.socketsDestroyed === 0 &&
      this.webSockets.terminated === 0 &&
      this.sessions.sessionsDestroyed === 0 &&
      hooks.every((hook) => hook.ok) &&
      !this.deadlineExceeded;
    const result: ShutdownResult = {
      reason,
      exitCode: clean ? 0 : 1,
      phases,
      totalMs: this.clock.now() - startedAt,
      requestsDuringDrain: this.connections.requestsDuringDrain + this.sessions.streamsDuringDrain,
      socketsClosed: this.connections.socketsClosed,
      socketsDestroyed: this.connections.socketsDestroyed,
      webSocketsClosed: this.webSockets.closed,
      webSocketsTerminated: this.webSockets.terminated,
      streamsEnded: this.streams.ended,
      sessionsClosed: this.sessions.sessionsClosed,
      sessionsDestroyed: this.sessions.sessionsDestroyed,
      socketsClosedMidHeaders:
        this.connections.socketsClosedMidHeaders + this.adminConnections.socketsClosedMidHeaders,
      drainDelay,
      servers: this.roleResults(closedAt, startedAt),
      hooks,
      deadlineExceeded: this.deadlineExceeded,
    };
    this.clock.clearTimeout(deadline);
    this.setState('stopped');
    if (this.options.summary) this.logger.info({ summary: result }, summaryLine(result));
    publish(channels.stopped, () => ({ lameduck: this, result }));
    this.emitSafely('stopped', result);
    if (this.options.exitOnStopped) this.finish(result.exitCode);
    return result;
  }

  /** Stops accepting on one server and tells the `lameduck:listener:closed` subscribers. */
  private closeListener(server: DrainableServer, role: 'app' | 'admin'): Promise<void> {
    const closed = stopAccepting(server);
    publish(channels.listenerClosed, () => ({ lameduck: this, server, role }));
    return closed;
  }

  private roleResults(
    closedAt: Record<'app' | 'admin', number | undefined>,
    startedAt: number,
  ): ServerRoleResult[] {
    const results = [roleNumbers('app', this.connections, (closedAt.app ?? startedAt) - startedAt)];
    if (this.adminServers.size > 0) {
      results.push(
        roleNumbers(
          'admin',
          this.adminConnections,
          closedAt.admin === undefined ? undefined : closedAt.admin - startedAt,
        ),
      );
    }
    return results;
  }

  private onDeadline(): void {
    this.deadlineExceeded = true;
    this.logger.error(
      { state: this.currentState, deadlineMs: this.budget.deadlineMs },
      `lameduck: the shutdown did not finish within ${this.budget.deadlineMs} ms (grace period minus preStop sleep and half the margin); exiting now, before SIGKILL`,
    );
    if (this.options.exitOnStopped) this.finish(1);
  }

  private finish(code: number): void {
    // After dispose() the process is no longer this instance's to end.
    if (this.exited || this.disposed) return;
    this.exited = true;
    this.exit(code);
  }

  private setState(next: State, reason?: string): void {
    const previous = this.currentState;
    if (previous === next) return;
    this.currentState = next;
    this.logger.info(
      reason === undefined ? { state: next, previous } : { state: next, previous, reason },
      `lameduck: ${next}${reason === undefined ? '' : ` (${reason})`}`,
    );
    this.emitSafely('state', next, previous);
    if (channels.state.hasSubscribers)
      channels.state.publish({ lameduck: this, state: next, previous, reason });
    switch (next) {
      case 'draining':
        this.emitSafely('draining', reason ?? '');
        break;
      case 'stopped':
        break;
      default:
        this.emitSafely(next);
    }
  }

  /** Emits to every listener; one that throws is logged and cannot stop the sequence. */
  private emitSafely<E extends keyof LameduckEvents>(event: E, ...args: LameduckEvents[E]): void {
    // rawListeners: calling a once() wrapper also removes it.
    for (const listener of this.rawListeners(event) as Array<(...values: unknown[]) => void>) {
      try {
        listener.apply(this, args);
      } catch (error) {
        this.logger.error(
          { event, err: error instanceof Error ? error.message : String(error) },
          `lameduck: a '${event}' event listener threw; the shutdown sequence goes on`,
        );
      }
    }
  }

  private assertUsable(method: string): void {
    if (this.disposed) throw disposedError(method);
  }
}

function disposedError(method: string): LameduckError {
  return new LameduckError(
    ErrorCodes.DISPOSED,
    `lameduck: ${method}() called after dispose(). Create a new instance with createLameduck().`,
  );
}

/** `attach()`'s `probes` when it asks for any (`false` and leaving it out ask for none). */
function probesAsked(options: AttachOptions): Exclude<AttachOptions['probes'], false> {
  const probes = (options as AttachOptions | null)?.probes;
  return probes === false ? undefined : probes;
}

/** A second attach() of a server cannot turn the probes on: its listener is already wired. */
function checkProbesOnReattach(options: AttachOptions, answersProbes: boolean): void {
  if (probesAsked(options) === undefined || answersProbes) return;
  throw new LameduckError(
    ErrorCodes.MISUSE,
    "lameduck: attach(server, { probes }) on a server already attached without { probes }: its request listener is wired already. Pass { probes } on the first attach() of the server (the adapters' listen(), the Fastify plugin and LameduckModule do).",
  );
}

function checkRole(options: AttachOptions): 'app' | 'admin' {
  const role = (options as AttachOptions | null)?.role ?? 'app';
  if (role !== 'app' && role !== 'admin') {
    throw new LameduckError(
      ErrorCodes.INVALID_OPTION,
      `lameduck: attach(server, { role }) expects role 'app' or 'admin', instead got ${describeValue(role)}.`,
    );
  }
  return role;
}

function removeItem<T>(list: T[], item: T): void {
  const index = list.indexOf(item);
  if (index !== -1) list.splice(index, 1);
}

/**
 * Creates a lameduck instance: installs the signal listeners, checks the budget, and is ready
 * to `attach()` servers.
 *
 * @example
 * const lameduck = createLameduck({ drainDelayMs: 5000 });
 * const server = http.createServer(app).listen(3000);
 * lameduck.attach(server);
 * lameduck.onShutdown('db', () => pool.end());
 */
export function createLameduck(options: LameduckOptions = {}): Lameduck {
  return new LameduckInstance(options);
}

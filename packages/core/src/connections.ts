import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { channels } from './channels.js';
import type { Clock } from './types.js';

interface SocketEntry {
  /**
   * The response in flight on this socket (the oldest one when the client pipelines);
   * undefined while the socket is idle. Kept
   * here rather than in a Set of responses: a Set hashes each response object, and V8 then
   * takes a slower path for every property node adds to it later (measured: about 4 % of a
   * bare Fastify request).
   */
  response: ServerResponse | undefined;
  /** The later responses in flight when the client pipelines its requests (rare); never set without `response`. */
  pipelined: ServerResponse[] | undefined;
  /** Requests this socket has carried. */
  requests: number;
  /**
   * `socket.bytesRead` when the socket last became idle: accepted, or its last response closed
   * (while serving only when the drain delay is shorter than the first-request grace; otherwise
   * when draining started). More bytes than that mean the next request is arriving.
   */
  idleBytes: number;
  /**
   * `socket.bytesWritten` when the socket was accepted, when draining started while it was
   * idle, or when its last response closed while draining (node's getter allocates, so it is
   * not read on every response while serving). More bytes than that while request bytes
   * arrive, with no request tracked, mean the app answered outside a request: an upgrade
   * (`101 Switching Protocols`).
   */
  idleWritten: number;
  /**
   * The grace timer of a socket with no request in flight that may still send one: it has not
   * sent its first request yet, or the headers of its next one are still arriving.
   * `GRACE_OVER` once it fired: a socket gets one grace.
   */
  graceTimer: unknown;
  /** Closed by lameduck at the end of its grace while request headers were still arriving. */
  cutMidHeaders: boolean;
}

/** `SocketEntry.graceTimer` once the grace has run out. */
const GRACE_OVER = Symbol('grace over');

export interface ConnectionTrackerOptions {
  readonly clock: Clock;
  /** How long a connection that has not sent a request yet may take to send one once closing. */
  readonly firstRequestGraceMs: number;
  /**
   * Closing: while clients keep reusing their kept-alive sockets, idle ones stay open (any of
   * them may be the next one reused); they close once no socket was reused for this long.
   * 0 closes idle sockets as soon as the listener closes.
   */
  readonly keepAliveQuietMs: number;
  /** The longest idle sockets are kept open that way, from the listener close. */
  readonly keepIdleMaxMs: number;
  /**
   * The shortest time from `startDraining()` to `startClosing()` (the drain delay, or its
   * adaptive minimum); 0 when closing may follow at once. Default 0.
   */
  readonly drainDelayMinMs?: number;
  /** The instance named in diagnostics_channel messages. */
  readonly owner?: object;
}

/**
 * Tracks sockets and in-flight requests with public events only (no `socket._httpMessage`),
 * and drains them: from `startDraining()` on, every HTTP/1.1 response carries
 * `Connection: close`; a socket whose last response ended closes right after it.
 *
 * Off the drain path the cost per request is one Map lookup, two field writes on the socket's
 * entry and one `close` listener; the response object itself is never hashed or written to.
 */
export class ConnectionTracker {
  private readonly clock: Clock;
  private readonly firstRequestGraceMs: number;
  private readonly keepAliveQuietMs: number;
  private readonly keepIdleMaxMs: number;
  private readonly owner: object | undefined;
  /**
   * Whether a socket going idle while serving notes its `bytesRead`: an accessor into node's C++
   * handle, about 1,000 instructions (2 % of a bare Fastify request). Needed only when the drain
   * delay is shorter than the first-request grace. With a longer delay, idle sockets are noted
   * when draining starts: a request that had started arriving before then has had the whole
   * delay, longer than its grace, to complete its headers by the time the listener closes.
   */
  private readonly notesIdleBytesWhileServing: boolean;
  private readonly sockets = new Map<Socket, SocketEntry>();
  private draining = false;
  /** Counts requests as `requestsDuringDrain` (from `startDraining()`, or earlier for admin servers). */
  private counting = false;
  private closing = false;
  /** When a kept-alive socket last carried another request while draining. */
  private lastReuseAt: number | undefined;
  /** Closing while clients still reuse their sockets: idle ones stay open until it is quiet. */
  private keepingIdle = false;
  private quietTimer: unknown;
  private onAllClosed: (() => void) | undefined;

  /** Requests that started after draining began. */
  requestsDuringDrain = 0;
  /** Sockets that ended while draining without being destroyed at the timeout. */
  socketsClosed = 0;
  /** Sockets still busy at the drain timeout, destroyed. */
  socketsDestroyed = 0;
  /**
   * Sockets closed at the end of their grace while request headers were still arriving (slow
   * or stalled clients): no request was received, so nothing was lost.
   */
  socketsClosedMidHeaders = 0;
  /** Whether any request was tracked (used to warn when no server was attached). */
  sawRequests = false;

  constructor(options: ConnectionTrackerOptions) {
    this.clock = options.clock;
    this.firstRequestGraceMs = options.firstRequestGraceMs;
    this.keepAliveQuietMs = options.keepAliveQuietMs;
    this.keepIdleMaxMs = options.keepIdleMaxMs;
    this.owner = options.owner;
    this.notesIdleBytesWhileServing = (options.drainDelayMinMs ?? 0) < options.firstRequestGraceMs;
  }

  get socketCount(): number {
    return this.sockets.size;
  }

  get inFlightCount(): number {
    let count = 0;
    for (const entry of this.sockets.values()) {
      if (entry.response !== undefined) count += 1 + (entry.pipelined?.length ?? 0);
    }
    return count;
  }

  /** Registers a socket from the server's `connection` / `secureConnection` event. */
  trackSocket = (socket: Socket): void => {
    this.entryFor(socket);
  };

  /** The responses in flight right now. */
  inFlightResponses(): ServerResponse[] {
    const responses: ServerResponse[] = [];
    for (const entry of this.sockets.values()) {
      if (entry.response !== undefined) responses.push(entry.response);
      if (entry.pipelined !== undefined) responses.push(...entry.pipelined);
    }
    return responses;
  }

  /** Hands a socket over to another tracker (an upgraded WebSocket's): no longer waited for here. */
  release = (socket: Socket): void => {
    const entry = this.sockets.get(socket);
    if (entry === undefined) return;
    this.clearGrace(entry);
    this.sockets.delete(socket);
    this.notifyIfEmpty();
  };

  /** Registers one request; safe to call twice for the same response. */
  trackRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const socket = req.socket;
    // Tracked already: the server's listener, then an adapter's middleware. Checked first, on
    // lameduck's own entry: an adapter passes the framework's objects (Express changes their
    // prototypes), and each property read on those costs more than on node's own.
    const known = this.sockets.get(socket);
    if (known !== undefined && (known.response === res || known.pipelined?.includes(res) === true)) return;
    // An HTTP/2 stream: its session is tracked and drained by the session tracker.
    if (req.httpVersionMajor >= 2) return;
    if (res.writableFinished || res.destroyed) return;
    const entry = known ?? this.entryFor(socket);
    this.sawRequests = true;
    entry.requests += 1;
    if (entry.response === undefined) entry.response = res;
    else if (entry.pipelined === undefined) entry.pipelined = [res];
    else entry.pipelined.push(res);
    if (this.counting) this.requestsDuringDrain += 1;
    if (this.draining) {
      if (channels.drainRequest.hasSubscribers) channels.drainRequest.publish({ lameduck: this.owner });
      // A second (or later) request on one socket: its client reuses kept-alive connections.
      if (entry.requests > 1) this.lastReuseAt = this.clock.now();
      this.markConnectionClose(res);
    }
    // One shared listener (no closure per request); 'close' fires once per response.
    res.on('close', this.onResponseClose);
  };

  private readonly onResponseClose = (() => {
    const tracker = this;
    return function onResponseClose(this: ServerResponse): void {
      tracker.responseClosed(this);
    };
  })();

  private responseClosed(res: ServerResponse): void {
    const socket = res.req.socket;
    const entry = this.sockets.get(socket);
    // Undefined when the socket closed first (or was destroyed at the drain timeout): its
    // responses went with it.
    if (entry === undefined || !removeResponse(entry, res)) return;
    if (entry.response !== undefined) return;
    if (this.draining || this.notesIdleBytesWhileServing) entry.idleBytes = socket.bytesRead;
    if (!this.draining) return;
    entry.idleWritten = socket.bytesWritten;
    this.closeAfterResponse(socket);
  }

  /** Counts requests from now on without draining (an admin server while the app servers drain). */
  startCounting(): void {
    this.counting = true;
  }

  /** From now on every response says `Connection: close`, including those in flight. */
  startDraining(): void {
    if (this.draining) return;
    this.draining = true;
    this.counting = true;
    // The newest response on each socket: one that says `Connection: close` ends its socket,
    // and the responses a pipelining client still waits for must come before that.
    // Sockets idle between requests: bytes written from now on, while request bytes arrive,
    // are an upgrade; bytes read from now on are a request arriving (when they were not noted
    // while serving). A socket that has not sent its first request keeps its accept's counts.
    for (const [socket, entry] of this.sockets) {
      const newest = entry.pipelined?.at(-1) ?? entry.response;
      if (newest !== undefined) this.markConnectionClose(newest);
      else if (entry.requests !== 0) {
        entry.idleWritten = socket.bytesWritten;
        if (!this.notesIdleBytesWhileServing) entry.idleBytes = socket.bytesRead;
      }
    }
  }

  /**
   * Listener closed: busy sockets close after their last response; idle ones close now, or,
   * while clients are still reusing their kept-alive sockets, once that has been quiet for
   * `keepAliveQuietMs`. Closing an idle socket races with a client that sends on it at that
   * moment (HTTP/1.1 cannot tell an idle client "going away"), and a non-idempotent request
   * lost that way is never retried; a socket that is reused instead gets its answer with
   * `Connection: close`. The check waits for one poll phase of the event loop so that bytes
   * already received are read: a socket whose next request is arriving is served, not cut off.
   */
  startClosing(): void {
    this.startDraining();
    this.closing = true;
    setImmediate(() =>
      setImmediate(() => {
        if (this.lastReuseAt === undefined) this.closeIdle();
        else this.keepIdleUntilQuiet();
      }),
    );
  }

  /** Closes every idle socket now (those with a request arriving get their grace first). */
  private closeIdle(): void {
    this.stopKeepingIdle();
    for (const socket of this.sockets.keys()) this.closeIfIdle(socket);
  }

  private keepIdleUntilQuiet(): void {
    const until = this.clock.now() + this.keepIdleMaxMs;
    const check = (): void => {
      this.quietTimer = undefined;
      const now = this.clock.now();
      const quietAt = (this.lastReuseAt ?? now) + this.keepAliveQuietMs;
      if (now >= quietAt || now >= until) {
        this.closeIdle();
        return;
      }
      this.keepingIdle = true;
      const timer = this.clock.setTimeout(check, Math.min(quietAt, until) - now);
      timer.unref?.();
      this.quietTimer = timer;
    };
    check();
  }

  private stopKeepingIdle(): void {
    this.keepingIdle = false;
    if (this.quietTimer !== undefined) this.clock.clearTimeout(this.quietTimer);
    this.quietTimer = undefined;
  }

  /** Resolves when every tracked socket has closed. */
  whenAllClosed(): Promise<void> {
    if (this.sockets.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.onAllClosed;
      this.onAllClosed = () => {
        previous?.();
        resolve();
      };
    });
  }

  /** Drain timeout: destroys every socket still open and counts it. */
  destroyAll(): void {
    this.stopKeepingIdle();
    for (const [socket, entry] of [...this.sockets]) {
      this.sockets.delete(socket);
      this.clearGrace(entry);
      // A terminated WebSocket's socket is already destroyed and counted as a WebSocket.
      if (socket.destroyed) continue;
      this.socketsDestroyed += 1;
      socket.destroy();
      if (channels.connectionDestroyed.hasSubscribers) {
        channels.connectionDestroyed.publish({ lameduck: this.owner, kind: 'http' });
      }
    }
    // Their responses, which close a tick later, went with their entries.
    this.notifyIfEmpty();
  }

  private entryFor(socket: Socket): SocketEntry {
    let entry = this.sockets.get(socket);
    if (entry === undefined) {
      entry = {
        response: undefined,
        pipelined: undefined,
        requests: 0,
        idleBytes: socket.bytesRead,
        idleWritten: socket.bytesWritten,
        graceTimer: undefined,
        cutMidHeaders: false,
      };
      this.sockets.set(socket, entry);
      socket.on('close', this.onSocketClose);
      if (this.closing) queueMicrotask(() => this.closeIfIdle(socket));
    }
    return entry;
  }

  // One shared listener (no closure or once() wrapper per socket): with 10,000 idle sockets
  // closing at once, their 'close' events are what the closing phase waits for.
  private readonly onSocketClose = (() => {
    const tracker = this;
    return function onSocketClose(this: Socket): void {
      tracker.socketClosed(this);
    };
  })();

  private socketClosed(socket: Socket): void {
    const entry = this.sockets.get(socket);
    // Undefined when released to another tracker, closed while idle, or destroyed at the drain timeout.
    if (entry === undefined) return;
    this.sockets.delete(socket);
    this.clearGrace(entry);
    if (entry.cutMidHeaders) this.socketsClosedMidHeaders += 1;
    else if (this.draining) {
      this.socketsClosed += 1;
      if (channels.connectionClosed.hasSubscribers) {
        channels.connectionClosed.publish({ lameduck: this.owner, kind: 'http' });
      }
    }
    this.notifyIfEmpty();
  }

  private closeIfIdle(socket: Socket): void {
    const entry = this.sockets.get(socket);
    if (entry === undefined || entry.response !== undefined) return;
    // Its grace is running: the end of the grace decides.
    if (entry.graceTimer !== undefined && entry.graceTimer !== GRACE_OVER) return;
    // Bytes since the socket went idle: a request is arriving. A connection accepted just
    // before the listener closed usually has its first request on the way. Either gets a
    // bounded grace to complete its request headers (a request whose headers are complete is
    // in flight and is never cut); a stranger that trickles header bytes cannot hold the drain.
    const arriving = socket.bytesRead > entry.idleBytes;
    // An upgraded connection (WebSocket) is in-flight work until it closes or the drain timeout.
    if (arriving && socket.bytesWritten > entry.idleWritten) return;
    if (
      (arriving || entry.requests === 0) &&
      entry.graceTimer === undefined &&
      this.firstRequestGraceMs > 0
    ) {
      const requestsBefore = entry.requests;
      entry.graceTimer = this.clock.setTimeout(() => {
        entry.graceTimer = GRACE_OVER;
        // A request completed its headers meanwhile: it is (or was) served like any other.
        if (entry.response !== undefined || entry.requests !== requestsBefore) return;
        this.closeIfIdle(socket);
      }, this.firstRequestGraceMs);
      return;
    }
    // Idle between requests while clients still reuse theirs: it may be the next one reused.
    if (this.keepingIdle && !arriving && entry.requests !== 0) return;
    if (arriving) entry.cutMidHeaders = true;
    socket.destroy();
    // Destroyed, it can carry nothing more: it is gone now, as node's own server counts it,
    // not when its 'close' event comes (waiting for 10,000 of those slowed the closing phase).
    this.socketClosed(socket);
  }

  private clearGrace(entry: SocketEntry): void {
    if (entry.graceTimer !== undefined && entry.graceTimer !== GRACE_OVER) {
      this.clock.clearTimeout(entry.graceTimer);
    }
  }

  private closeAfterResponse(socket: Socket): void {
    // A response that carried `Connection: close` makes node end the socket itself; this
    // covers responses whose headers went out with keep-alive before draining started.
    if (socket.destroyed) return;
    socket.end();
    // Once the listener is closed, nothing more is read from an idle socket: release it as
    // soon as our FIN is out instead of waiting for the client's.
    if (this.closing) socket.once('finish', () => socket.destroy());
  }

  private markConnectionClose(res: ServerResponse): void {
    // Only HTTP/1.x gets here: HTTP/2 forbids the Connection header; sessions get GOAWAY instead.
    if (res.headersSent) return;
    res.setHeader('Connection', 'close');
  }

  private notifyIfEmpty(): void {
    if (this.sockets.size !== 0) return;
    if (this.keepingIdle) this.stopKeepingIdle();
    if (this.onAllClosed === undefined) return;
    const notify = this.onAllClosed;
    this.onAllClosed = undefined;
    notify();
  }
}

/** Takes a response off its socket's entry; false when it was not there. */
function removeResponse(entry: SocketEntry, res: ServerResponse): boolean {
  const pipelined = entry.pipelined;
  if (entry.response === res) {
    entry.response = pipelined?.shift();
  } else {
    const index = pipelined === undefined ? -1 : pipelined.indexOf(res);
    if (index === -1) return false;
    pipelined?.splice(index, 1);
  }
  if (pipelined !== undefined && pipelined.length === 0) entry.pipelined = undefined;
  return true;
}

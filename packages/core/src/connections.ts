import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

interface SocketEntry {
  /** Requests on this socket whose response has not closed yet. */
  inFlight: number;
  /**
   * Whether an attached server announced this socket. Such a server closes its idle sockets
   * itself when the listener closes (`closeIdleConnections()`), and only it can tell a socket
   * with no request from one whose request headers are still arriving.
   */
  fromServer: boolean;
}

/**
 * Tracks sockets and in-flight requests with public events only (no `socket._httpMessage`),
 * and drains them: from `startDraining()` on, every HTTP/1.1 response carries
 * `Connection: close`; a socket whose last response ended closes right after it.
 *
 * Off the drain path the cost per request is one WeakSet lookup, one Map lookup and one
 * `close` listener.
 */
export class ConnectionTracker {
  private readonly sockets = new Map<Socket, SocketEntry>();
  private readonly inFlight = new Set<ServerResponse>();
  private readonly tracked = new WeakSet<ServerResponse>();
  private draining = false;
  private closing = false;
  private onAllClosed: (() => void) | undefined;

  /** Requests that started after draining began. */
  requestsDuringDrain = 0;
  /** Sockets that ended while draining without being destroyed at the timeout. */
  socketsClosed = 0;
  /** Sockets still busy at the drain timeout, destroyed. */
  socketsDestroyed = 0;
  /** Whether any request was tracked (used to warn when no server was attached). */
  sawRequests = false;

  get socketCount(): number {
    return this.sockets.size;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Registers a socket from the server's `connection` / `secureConnection` event. */
  trackSocket = (socket: Socket): void => {
    this.entryFor(socket).fromServer = true;
  };

  /** Registers one request; safe to call twice for the same response. */
  trackRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (this.tracked.has(res)) return;
    this.tracked.add(res);
    this.sawRequests = true;
    const socket = req.socket;
    const entry = this.entryFor(socket);
    entry.inFlight += 1;
    this.inFlight.add(res);
    if (this.draining) {
      this.requestsDuringDrain += 1;
      this.markConnectionClose(req, res);
    }
    res.once('close', () => {
      entry.inFlight -= 1;
      this.inFlight.delete(res);
      if (this.draining && entry.inFlight === 0) this.closeAfterResponse(socket);
    });
  };

  /** From now on every response says `Connection: close`, including those in flight. */
  startDraining(): void {
    if (this.draining) return;
    this.draining = true;
    for (const res of this.inFlight) this.markConnectionClose(res.req, res);
  }

  /**
   * Listener closed: idle sockets close now, busy ones after their last response. Sockets of
   * attached servers are left to the server's `closeIdleConnections()`, which spares a socket
   * whose request is still arriving; the others are closed here when no request is in flight.
   */
  startClosing(): void {
    this.startDraining();
    this.closing = true;
    for (const socket of this.sockets.keys()) this.closeIfIdle(socket);
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
    for (const socket of [...this.sockets.keys()]) {
      this.sockets.delete(socket);
      this.socketsDestroyed += 1;
      socket.destroy();
    }
    this.notifyIfEmpty();
  }

  private entryFor(socket: Socket): SocketEntry {
    let entry = this.sockets.get(socket);
    if (entry === undefined) {
      entry = { inFlight: 0, fromServer: false };
      this.sockets.set(socket, entry);
      socket.once('close', () => {
        if (!this.sockets.delete(socket)) return;
        if (this.draining) this.socketsClosed += 1;
        this.notifyIfEmpty();
      });
      if (this.closing) queueMicrotask(() => this.closeIfIdle(socket));
    }
    return entry;
  }

  private closeIfIdle(socket: Socket): void {
    const entry = this.sockets.get(socket);
    if (entry !== undefined && entry.inFlight === 0 && !entry.fromServer) socket.destroy();
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

  private markConnectionClose(req: IncomingMessage, res: ServerResponse): void {
    // HTTP/2 forbids the Connection header (node throws); sessions get GOAWAY instead.
    if (req.httpVersionMajor >= 2) return;
    if (res.headersSent) return;
    res.setHeader('Connection', 'close');
    // Frameworks that reset headers on errors (Koa's ctx.onerror removes them all) would drop
    // the header; with keep-alive off, node still writes `Connection: close` and ends the socket.
    res.shouldKeepAlive = false;
  }

  private notifyIfEmpty(): void {
    if (this.sockets.size !== 0 || this.onAllClosed === undefined) return;
    const notify = this.onAllClosed;
    this.onAllClosed = undefined;
    notify();
  }
}

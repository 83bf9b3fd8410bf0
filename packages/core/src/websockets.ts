import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { describeValue, ErrorCodes, LameduckError } from './errors.js';
import type { Clock } from './types.js';

/** What lameduck needs of one `ws` WebSocket (or of one engine.io socket, adapted below). */
interface WebSocketLike {
  close(code?: number, reason?: string): void;
  terminate(): void;
  once(event: 'close', listener: () => void): unknown;
}

/** A `ws` WebSocketServer: `clients` (when clientTracking is on) and its `connection` event. */
interface WsServerLike {
  readonly clients?: Iterable<WebSocketLike>;
  on(event: 'connection', listener: (ws: WebSocketLike, req?: IncomingMessage) => void): unknown;
  removeListener(event: 'connection', listener: (...args: never[]) => void): unknown;
}

/** One engine.io socket: what a socket.io client is connected through. */
interface EngineSocketLike {
  readonly request?: IncomingMessage;
  readonly transport?: { readonly name?: string; readonly socket?: { terminate?(): void } };
  close(): void;
  once(event: 'close', listener: () => void): unknown;
}

/** A socket.io Server: its engine.io server holds the transports. */
interface SocketIoServerLike {
  readonly engine: {
    readonly clients: Record<string, EngineSocketLike>;
    on(event: 'connection', listener: (socket: EngineSocketLike) => void): unknown;
    removeListener(event: 'connection', listener: (...args: never[]) => void): unknown;
  };
}

export type WebSocketServerLike = WsServerLike | SocketIoServerLike;

export interface WebSocketTrackerOptions {
  readonly clock: Clock;
  /** 1001 going away or 1012 service restart. */
  readonly closeCode: number;
  /** Called with the raw socket of each WebSocket: it leaves the plain-socket tracker. */
  readonly releaseSocket: (socket: Socket) => void;
}

function isSocketIo(value: unknown): value is SocketIoServerLike {
  const engine = (value as { engine?: { clients?: unknown; on?: unknown } } | null)?.engine;
  return typeof engine?.on === 'function' && typeof engine.clients === 'object';
}

function isWsServer(value: unknown): value is WsServerLike {
  const server = value as { on?: unknown; removeListener?: unknown; handleUpgrade?: unknown } | null;
  return typeof server?.on === 'function' && typeof server.removeListener === 'function';
}

/**
 * engine.io: closing the transport (never `socket.disconnect(true)`, whose reason
 * "io server disconnect" stops the client from reconnecting) makes the client see
 * "transport close" and reconnect. A long-polling transport answers its pending poll with a
 * close packet, so no poll request is left waiting for the ping interval.
 */
function engineSocket(socket: EngineSocketLike): WebSocketLike {
  return {
    close: () => socket.close(),
    terminate: () => {
      const transport = socket.transport;
      if (typeof transport?.socket?.terminate === 'function') transport.socket.terminate();
      else socket.request?.socket?.destroy();
    },
    once: (event, listener) => socket.once(event, listener),
  };
}

/**
 * Tracks the WebSockets of registered `ws` WebSocketServers and socket.io servers, and closes
 * them when the listener closes: a close frame each (1001 by default), spread with jitter over
 * the close window; the handshakes are awaited; those still open at the drain timeout are
 * terminated and counted. lameduck adds no `'upgrade'` listener: node treats a request with an
 * `Upgrade:` header as a normal request when a server has none.
 */
export class WebSocketTracker {
  private readonly clock: Clock;
  private readonly closeCode: number;
  private readonly releaseSocket: (socket: Socket) => void;
  private readonly open = new Set<WebSocketLike>();
  private readonly asked = new Set<WebSocketLike>();
  private readonly timers = new Set<unknown>();
  private closingWindowEnd: number | undefined;
  private onAllClosed: (() => void) | undefined;

  /** WebSockets that closed during the closing phase (after their close frame, or by the client). */
  closed = 0;
  /** WebSockets opened so far (new ones while draining count as traffic for the drain delay). */
  opened = 0;
  /** WebSockets still open at the drain timeout, terminated. */
  terminated = 0;

  constructor(options: WebSocketTrackerOptions) {
    this.clock = options.clock;
    this.closeCode = options.closeCode;
    this.releaseSocket = options.releaseSocket;
  }

  get openCount(): number {
    return this.open.size;
  }

  /** Starts tracking a WebSocket server's connections; returns the function that stops it. */
  trackServer(server: unknown): () => void {
    // A Nest gateway on a namespace hands over the Namespace; its `server` is the socket.io Server.
    const io = isSocketIo(server) ? server : (server as { server?: unknown } | null)?.server;
    if (isSocketIo(io)) {
      const engine = io.engine;
      // Only a socket that connected over WebSocket owns its raw socket; a polling one shares a
      // keep-alive socket with plain requests, which stays with the socket tracker.
      const onConnection = (socket: EngineSocketLike) =>
        this.add(engineSocket(socket), socket.transport?.name === 'websocket' ? socket.request : undefined);
      for (const socket of Object.values(engine.clients)) onConnection(socket);
      engine.on('connection', onConnection);
      return () => engine.removeListener('connection', onConnection);
    }
    if (isWsServer(server)) {
      const onConnection = (ws: WebSocketLike, req?: IncomingMessage) => this.add(ws, req);
      for (const ws of server.clients ?? []) this.add(ws);
      server.on('connection', onConnection);
      return () => server.removeListener('connection', onConnection);
    }
    throw new LameduckError(
      ErrorCodes.INVALID_OPTION,
      `lameduck: trackWebSockets(server) expects a \`ws\` WebSocketServer (new WebSocketServer({ server })) or a socket.io Server, instead got ${describeValue(server)}.`,
    );
  }

  /** Sends each open WebSocket its close frame at a random moment within `windowMs`. */
  startClosing(windowMs: number): void {
    this.closingWindowEnd = this.clock.now() + windowMs;
    for (const ws of this.open) this.scheduleClose(ws, Math.random() * windowMs);
  }

  /** Resolves when every tracked WebSocket has closed. */
  whenAllClosed(): Promise<void> {
    if (this.open.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.onAllClosed;
      this.onAllClosed = () => {
        previous?.();
        resolve();
      };
    });
  }

  /** Drain timeout: terminates every WebSocket still open (no close handshake) and counts it. */
  terminateAll(): void {
    for (const timer of this.timers) this.clock.clearTimeout(timer);
    this.timers.clear();
    for (const ws of [...this.open]) {
      this.open.delete(ws);
      this.terminated += 1;
      ws.terminate();
    }
    this.notifyIfEmpty();
  }

  private add(ws: WebSocketLike, req?: IncomingMessage): void {
    if (this.open.has(ws)) return;
    this.open.add(ws);
    this.opened += 1;
    if (req?.socket) this.releaseSocket(req.socket);
    ws.once('close', () => {
      if (!this.open.delete(ws)) return;
      if (this.closingWindowEnd !== undefined) this.closed += 1;
      this.notifyIfEmpty();
    });
    // Opened while closing (its upgrade was in flight): it leaves within what is left of the window.
    if (this.closingWindowEnd !== undefined) {
      this.scheduleClose(ws, Math.random() * Math.max(0, this.closingWindowEnd - this.clock.now()));
    }
  }

  private scheduleClose(ws: WebSocketLike, delayMs: number): void {
    if (this.asked.has(ws)) return;
    this.asked.add(ws);
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(timer);
      if (this.open.has(ws)) ws.close(this.closeCode, 'server shutting down');
    }, delayMs);
    this.timers.add(timer);
  }

  private notifyIfEmpty(): void {
    if (this.open.size !== 0 || this.onAllClosed === undefined) return;
    const notify = this.onAllClosed;
    this.onAllClosed = undefined;
    notify();
  }
}

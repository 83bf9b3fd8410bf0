import type { ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import type { Clock } from './types.js';

/** NGHTTP2_NO_ERROR: a graceful GOAWAY. */
const NO_ERROR = 0;
/** The largest stream id: a GOAWAY announcing it refuses nothing yet. */
const MAX_STREAM_ID = 2 ** 31 - 1;

type Stage = 'serving' | 'probing' | 'notified' | 'final';

interface SessionEntry {
  stage: Stage;
  /** Streams handed to the app whose `close` has not fired yet. */
  open: number;
  /** The highest stream id handed to the app. */
  lastStreamId: number;
  /** The bound on the PING round trip in progress. */
  pingTimer: unknown;
  /** The step to take once the PING round trip in progress ends (acknowledged or bounded). */
  afterPing: (() => void) | undefined;
  readonly onStreamClose: () => void;
}

export interface SessionTrackerOptions {
  readonly clock: Clock;
  /** The bound on one PING round trip while a session is told to go away. */
  readonly pingTimeoutMs: number;
}

/**
 * Tracks HTTP/2 sessions (from the server's `session` event; in the compatibility API
 * `req.socket` is a per-stream proxy, so sessions, not sockets, are what drains) and tells each
 * one to go away without losing a stream.
 *
 * The two-step GOAWAY of RFC 9113 §6.8: a GOAWAY announcing the largest stream id (the client
 * stops opening streams, nothing is refused), then after a PING round trip (every stream the
 * client sent before it saw that GOAWAY has arrived) the final GOAWAY with the highest stream
 * handed to the app. Streams in flight finish; a stream above that id was never processed and
 * the client may retry it elsewhere.
 *
 * One fact of node's HTTP/2 server (checked on Node 20 and 24) shapes the order: once a session
 * has sent a GOAWAY, nghttp2 ignores every new stream arriving afterwards, whatever last stream
 * id it announced, and once no stream is open it stops reading, PING answers included. So a
 * session is first probed with a PING alone (streams on the wire arrive and are served
 * meanwhile); the first GOAWAY goes out only while streams are open, and the final one follows
 * at once when the last of them closes. Streams the client sent after the first GOAWAY left are
 * refused by the final one, as retryable.
 *
 * Off the drain path the cost per stream is one counter update and one `close` listener.
 */
export class SessionTracker {
  private readonly clock: Clock;
  private readonly pingTimeoutMs: number;
  private readonly sessions = new Map<ServerHttp2Session, SessionEntry>();
  private draining = false;
  private onAllClosed: (() => void) | undefined;

  /** Streams that started after draining began. */
  streamsDuringDrain = 0;
  /** Sessions that ended while draining without being destroyed at the timeout. */
  sessionsClosed = 0;
  /** Sessions still open at the drain timeout, destroyed. */
  sessionsDestroyed = 0;

  constructor(options: SessionTrackerOptions) {
    this.clock = options.clock;
    this.pingTimeoutMs = options.pingTimeoutMs;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Registers a session from the server's `session` event. */
  trackSession = (session: ServerHttp2Session): void => {
    if (this.sessions.has(session) || session.destroyed) return;
    const entry: SessionEntry = {
      stage: 'serving',
      open: 0,
      lastStreamId: 0,
      pingTimer: undefined,
      afterPing: undefined,
      onStreamClose: () => {
        entry.open -= 1;
        // nghttp2 no longer reads from a session that sent a GOAWAY and has no stream open.
        if (entry.open === 0 && entry.stage === 'notified') this.finalGoAway(session, entry);
      },
    };
    this.sessions.set(session, entry);
    session.prependListener('stream', (stream: ServerHttp2Stream) => {
      entry.open += 1;
      const id = stream.id ?? 0;
      if (id > entry.lastStreamId) entry.lastStreamId = id;
      if (this.draining) this.streamsDuringDrain += 1;
      stream.once('close', entry.onStreamClose);
    });
    session.once('close', () => {
      this.endPing(entry);
      if (!this.sessions.delete(session)) return;
      if (this.draining) this.sessionsClosed += 1;
      this.notifyIfEmpty();
    });
    if (this.draining) this.goAway(session, entry);
  };

  /** Every session, and each one opened from now on, is told to go away. */
  startDraining(): void {
    if (this.draining) return;
    this.draining = true;
    for (const [session, entry] of this.sessions) this.goAway(session, entry);
  }

  /** Resolves when every tracked session has closed. */
  whenAllClosed(): Promise<void> {
    if (this.sessions.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.onAllClosed;
      this.onAllClosed = () => {
        previous?.();
        resolve();
      };
    });
  }

  /** Drain timeout: destroys every session still open and counts it. */
  destroyAll(): void {
    for (const [session, entry] of [...this.sessions]) {
      this.sessions.delete(session);
      this.endPing(entry);
      this.sessionsDestroyed += 1;
      session.destroy();
    }
    this.notifyIfEmpty();
  }

  private goAway(session: ServerHttp2Session, entry: SessionEntry): void {
    if (entry.stage !== 'serving') return;
    entry.stage = 'probing';
    this.afterPingRoundTrip(session, entry, () => {
      if (entry.open === 0) {
        this.finalGoAway(session, entry);
        return;
      }
      entry.stage = 'notified';
      session.goaway(NO_ERROR, MAX_STREAM_ID);
      this.afterPingRoundTrip(session, entry, () => this.finalGoAway(session, entry));
    });
  }

  private finalGoAway(session: ServerHttp2Session, entry: SessionEntry): void {
    if (entry.stage === 'final') return;
    entry.stage = 'final';
    this.endPing(entry);
    if (session.destroyed || session.closed) return;
    session.goaway(NO_ERROR, entry.lastStreamId);
    // Ends the session once its open streams have closed.
    session.close();
  }

  /** Runs `next` once a PING is acknowledged, or after the bound when it is not. */
  private afterPingRoundTrip(session: ServerHttp2Session, entry: SessionEntry, next: () => void): void {
    this.endPing(entry);
    if (session.destroyed) return;
    let done = false;
    const step = () => {
      if (done || entry.afterPing !== step) return;
      done = true;
      this.endPing(entry);
      if (!session.destroyed) next();
    };
    entry.afterPing = step;
    entry.pingTimer = this.clock.setTimeout(step, this.pingTimeoutMs);
    let sent = false;
    try {
      sent = session.ping(step);
    } catch {
      // A session closing at this very moment: the bound takes the next step.
    }
    if (!sent) step();
  }

  private endPing(entry: SessionEntry): void {
    if (entry.pingTimer !== undefined) this.clock.clearTimeout(entry.pingTimer);
    entry.pingTimer = undefined;
    entry.afterPing = undefined;
  }

  private notifyIfEmpty(): void {
    if (this.sessions.size !== 0 || this.onAllClosed === undefined) return;
    const notify = this.onAllClosed;
    this.onAllClosed = undefined;
    notify();
  }
}

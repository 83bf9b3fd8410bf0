import type { ConnectionTracker } from './connections.js';
import type { LameduckStats, ServerRoleResult, State } from './types.js';

/** The other trackers' counts `stats()` reads. */
export interface OtherCounts {
  readonly webSockets: { readonly openCount: number; readonly closed: number; readonly terminated: number };
  readonly sessions: {
    readonly sessionCount: number;
    readonly sessionsClosed: number;
    readonly sessionsDestroyed: number;
    readonly streamsDuringDrain: number;
  };
  readonly streams: { readonly ended: number };
  readonly preStopRefused: number;
}

/** A snapshot of where the sequence stands: cheap, safe to call any time (a metrics scrape). */
export function snapshotStats(
  state: State,
  app: ConnectionTracker,
  admin: ConnectionTracker,
  other: OtherCounts,
): LameduckStats {
  return {
    state,
    inFlight: app.inFlightCount + admin.inFlightCount,
    open: {
      http: app.socketCount,
      admin: admin.socketCount,
      h2Sessions: other.sessions.sessionCount,
      webSockets: other.webSockets.openCount,
    },
    requestsDuringDrain: app.requestsDuringDrain + other.sessions.streamsDuringDrain,
    socketsClosed: app.socketsClosed + admin.socketsClosed,
    socketsDestroyed: app.socketsDestroyed + admin.socketsDestroyed,
    socketsClosedMidHeaders: app.socketsClosedMidHeaders + admin.socketsClosedMidHeaders,
    webSocketsClosed: other.webSockets.closed,
    webSocketsTerminated: other.webSockets.terminated,
    sessionsClosed: other.sessions.sessionsClosed,
    sessionsDestroyed: other.sessions.sessionsDestroyed,
    streamsEnded: other.streams.ended,
    preStopRefused: other.preStopRefused,
  };
}

/** The numbers of one role's servers for the shutdown result. */
export function roleNumbers(
  role: 'app' | 'admin',
  tracker: ConnectionTracker,
  listenerClosedAtMs: number | undefined,
): ServerRoleResult {
  return {
    role,
    listenerClosedAtMs,
    requestsDuringDrain: tracker.requestsDuringDrain,
    socketsClosed: tracker.socketsClosed,
    socketsDestroyed: tracker.socketsDestroyed,
  };
}

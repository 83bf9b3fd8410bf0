import type { IncomingMessage, ServerResponse } from 'node:http';
import * as http from 'node:http';
import type { Http2SecureServer, Http2Server, ServerHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { describeValue, ErrorCodes, LameduckError } from './errors.js';
import { type RequestAnswer, trackRequestsFirst } from './request-listener.js';
import type { DrainableServer } from './types.js';

/** Throws INVALID_SERVER unless `value` is a node http, https or http2 server. */
export function checkServer(value: unknown): asserts value is DrainableServer {
  if (!(value instanceof http.Server) && !(value instanceof tls.Server) && !isHttp2Server(value)) {
    throw new LameduckError(
      ErrorCodes.INVALID_SERVER,
      `lameduck: attach(server) expects a node http.Server, https.Server or HTTP/2 server (what app.listen(), http2.createServer() or http2.createSecureServer() returns), instead got ${describeValue(value)}.`,
    );
  }
}

/** `http2.createServer()` and `createSecureServer()` servers (node exports no class to test). */
export function isHttp2Server(value: unknown): value is Http2Server | Http2SecureServer {
  return value instanceof net.Server && typeof (value as Partial<Http2Server>).updateSettings === 'function';
}

/**
 * Whether a socket of an HTTP/2 server speaks HTTP/1.1 (the `allowHTTP1` side, drained like any
 * HTTP/1.1 socket). An h2 or h2c connection becomes a session, tracked from the `session` event.
 */
function speaksHttp1(socket: Socket): boolean {
  const protocol = (socket as { alpnProtocol?: string | false }).alpnProtocol;
  return protocol === 'http/1.1' || protocol === false;
}

export interface ServerListeners {
  readonly onSocket: (socket: Socket) => void;
  readonly onRequest: (req: IncomingMessage, res: ServerResponse) => void;
  /** Answers the probes in front of the app (`attach(server, { probes })`). */
  readonly answer?: RequestAnswer;
  /** The server's request listeners took a shape in which `answer` cannot stand in front. */
  readonly onUnanswered?: () => void;
  readonly onSession: (session: ServerHttp2Session) => void;
  /** Called once the server listens (at once when it already does). */
  readonly onListening: () => void;
}

export interface WiredServer {
  /** Removes every listener lameduck installed. */
  readonly unwire: () => void;
  /** Puts the request listener in front again (after socket.io took the listeners over). */
  readonly trackRequestsFirst: () => void;
}

/**
 * Installs lameduck's listeners on a server, ahead of the app's own: prepended, and for
 * `request` in front of the app's listener (see `trackRequestsFirst`).
 */
export function wireServer(server: DrainableServer, listeners: ServerListeners): WiredServer {
  // https servers hand requests the TLS socket, which `secureConnection` announces.
  const connectionEvent = server instanceof tls.Server ? 'secureConnection' : 'connection';
  const http2 = isHttp2Server(server);
  const onSocket = http2
    ? (socket: Socket) => {
        if (speaksHttp1(socket)) listeners.onSocket(socket);
      }
    : listeners.onSocket;
  // One emitter type for the listeners of all three kinds of server.
  const emitter = server as net.Server;
  emitter.prependListener(connectionEvent, onSocket);
  const requests = trackRequestsFirst(emitter, listeners.onRequest, listeners.answer, listeners.onUnanswered);
  if (http2) emitter.prependListener('session', listeners.onSession);
  if (server.listening) listeners.onListening();
  else emitter.once('listening', listeners.onListening);
  return {
    unwire: () => {
      emitter.removeListener(connectionEvent, onSocket);
      requests.remove();
      emitter.removeListener('session', listeners.onSession);
      emitter.removeListener('listening', listeners.onListening);
    },
    trackRequestsFirst: requests.ensure,
  };
}

/**
 * Stops accepting new connections; resolves when node reports the server closed (every
 * connection ended). Only the listener closes here: `http.Server#close()` would also close
 * the sockets node considers idle at once, including one whose next request is already
 * waiting to be read. The connection tracker closes idle sockets itself, a moment later.
 */
export function stopAccepting(server: DrainableServer): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    // Also the way around an HTTP/2 server's own close(), which on Node 24 and later sends every
    // session a GOAWAY at once; the session tracker tells them to go away the two-step way.
    net.Server.prototype.close.call(server, () => resolve());
  });
}

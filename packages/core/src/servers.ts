import type { IncomingMessage, ServerResponse } from 'node:http';
import * as http from 'node:http';
import type { Socket } from 'node:net';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { describeValue, ErrorCodes, LameduckError } from './errors.js';
import type { DrainableServer } from './types.js';

/** Throws INVALID_SERVER unless `value` is a node http.Server or https.Server. */
export function checkServer(value: unknown): asserts value is DrainableServer {
  // HTTP/2 secure servers are tls.Servers too; they drain with GOAWAY, which comes later.
  const isHttp2 = typeof (value as { updateSettings?: unknown } | null)?.updateSettings === 'function';
  if ((!(value instanceof http.Server) && !(value instanceof tls.Server)) || isHttp2) {
    throw new LameduckError(
      ErrorCodes.INVALID_SERVER,
      `lameduck: attach(server) expects a node http.Server or https.Server (what app.listen() returns), instead got ${describeValue(value)}. HTTP/2 servers are not supported yet.`,
    );
  }
}

export interface ServerListeners {
  readonly onSocket: (socket: Socket) => void;
  readonly onRequest: (req: IncomingMessage, res: ServerResponse) => void;
  /** Called once the server listens (at once when it already does). */
  readonly onListening: () => void;
}

/**
 * Installs lameduck's listeners on a server, ahead of the app's own (`prependListener`), and
 * returns the function that removes every one of them.
 */
export function wireServer(server: DrainableServer, listeners: ServerListeners): () => void {
  // https servers hand requests the TLS socket, which `secureConnection` announces.
  const connectionEvent = server instanceof tls.Server ? 'secureConnection' : 'connection';
  server.prependListener(connectionEvent, listeners.onSocket);
  server.prependListener('request', listeners.onRequest);
  if (server.listening) listeners.onListening();
  else server.once('listening', listeners.onListening);
  return () => {
    server.removeListener(connectionEvent, listeners.onSocket);
    server.removeListener('request', listeners.onRequest);
    server.removeListener('listening', listeners.onListening);
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
    net.Server.prototype.close.call(server, () => resolve());
  });
}

import * as http from 'node:http';
import type { Socket as NetSocket } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import {
  type LongLivedLoad,
  type LongLivedOptions,
  LongLivedRecorder,
  openInBatches,
  podWithin,
} from './load-long-lived.js';
import { plural } from './plural.js';

/** An http.Agent that tells the local port of each connection it opens (to ask the balancer). */
class PortAgent extends http.Agent {
  localPort: number | undefined;
  override createConnection(...args: Parameters<http.Agent['createConnection']>): NetSocket {
    const createConnection = (
      http.Agent.prototype as unknown as { createConnection: http.Agent['createConnection'] }
    ).createConnection;
    const socket = createConnection.apply(this, args) as NetSocket;
    socket.once('connect', () => {
      this.localPort = socket.localPort;
    });
    return socket;
  }
}

/**
 * socket.io clients (socket.io-client, WebSocket transport: behind a balancer without sticky
 * sessions, long polling cannot work) on the socket.io path `/ws`, with socket.io's own
 * reconnection (1 s, randomized by half, up to 5 s). A server disconnect ("io server
 * disconnect", which a client does not reconnect on) or a transport that closed without a
 * close frame (1006) is abnormal.
 */
export function socketIoLoad(options: LongLivedOptions, path = '/ws'): LongLivedLoad {
  const recorder = new LongLivedRecorder();
  const clients: Socket[] = [];
  let closing = false;

  const connect = (): Promise<void> =>
    new Promise((resolve) => {
      const agent = new PortAgent({ keepAlive: false });
      const client = io(`http://${options.host}:${options.port}`, {
        path,
        transports: ['websocket'],
        agent: agent as unknown as string,
        reconnectionDelay: 1000,
        reconnectionDelayMax: 5000,
        randomizationFactor: 0.5,
        timeout: 10_000,
      });
      clients.push(client);
      let pod: string | undefined;
      let previous: { pod: string | undefined; endedAt: number } | undefined;
      let first = true;
      client.on('connect', () => {
        recorder.open += 1;
        void podWithin(options.podOf, agent.localPort).then((found) => {
          pod = found;
          if (previous !== undefined) recorder.reconnected(previous.pod, pod, previous.endedAt);
          previous = undefined;
          if (first) resolve();
          first = false;
        });
      });
      client.on('connect_error', () => {
        recorder.failedAttempts += 1;
        if (first) resolve();
        first = false;
      });
      client.on('disconnect', (reason, details) => {
        recorder.open -= 1;
        if (closing) return;
        const code = (details as { context?: { code?: number } } | undefined)?.context?.code;
        const how = code === undefined ? reason : `${reason} ${code}`;
        recorder.ended(pod, how, reason !== 'transport close' || code === 1006);
        previous = { pod, endedAt: performance.now() };
      });
    });

  return {
    description: `${plural(options.clients, 'socket.io client')} (WebSocket transport, path ${path}), socket.io reconnection`,
    async open() {
      await openInBatches(options.clients, () => connect());
    },
    stats: (deletedPod) => recorder.stats(options.clients, deletedPod),
    async close() {
      closing = true;
      for (const client of clients) client.close();
    },
  };
}

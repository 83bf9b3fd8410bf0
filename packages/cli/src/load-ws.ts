import { WebSocket } from 'ws';
import {
  type LongLivedLoad,
  type LongLivedOptions,
  LongLivedRecorder,
  openInBatches,
  podWithin,
  reconnectDelayMs,
} from './load-long-lived.js';
import { plural } from './plural.js';

/**
 * WebSocket clients (the `ws` library) on `/ws` through the balancer. Each sends one message on
 * every connection and expects it echoed, and reconnects when the server closes it, with the
 * back-off of a real client. A close without a close frame (1006) is abnormal.
 */
export function webSocketLoad(options: LongLivedOptions, path = '/ws'): LongLivedLoad {
  const recorder = new LongLivedRecorder();
  const url = `ws://${options.host}:${options.port}${path}`;
  const sockets = new Set<WebSocket>();
  let closing = false;

  const connect = (attempt: number, previous?: { pod: string | undefined; endedAt: number }): Promise<void> =>
    new Promise((resolve) => {
      if (closing) return resolve();
      const ws = new WebSocket(url, { handshakeTimeout: 10_000 });
      sockets.add(ws);
      let pod: string | undefined;
      let opened = false;
      let localPort: number | undefined;
      ws.on('error', () => {});
      ws.once('upgrade', (response) => {
        localPort = response.socket.localPort;
      });
      ws.once('open', () => {
        opened = true;
        recorder.open += 1;
        void podWithin(options.podOf, localPort).then((found) => {
          pod = found;
          if (previous !== undefined) recorder.reconnected(previous.pod, pod, previous.endedAt);
          resolve();
        });
        ws.send('hello');
      });
      ws.once('close', (code) => {
        sockets.delete(ws);
        if (!opened) {
          recorder.failedAttempts += 1;
          resolve();
          if (!closing)
            setTimeout(() => void connect(attempt + 1, previous), reconnectDelayMs(attempt + 1)).unref();
          return;
        }
        recorder.open -= 1;
        if (closing) return;
        const endedAt = performance.now();
        recorder.ended(pod, String(code), code === 1006);
        setTimeout(() => void connect(1, { pod, endedAt }), reconnectDelayMs(1)).unref();
      });
    });

  return {
    description: `${plural(options.clients, 'WebSocket')} on ${path} (echo), reconnecting with back-off`,
    async open() {
      await openInBatches(options.clients, () => connect(1));
    },
    stats: (deletedPod) => recorder.stats(options.clients, deletedPod),
    async close() {
      closing = true;
      const closed = [...sockets].map(
        (ws) =>
          new Promise<void>((resolve) => {
            ws.once('close', () => resolve());
            setTimeout(() => {
              ws.terminate();
              resolve();
            }, 1000).unref();
            ws.close(1000);
          }),
      );
      await Promise.all(closed);
    },
  };
}

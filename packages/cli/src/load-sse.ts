import * as http from 'node:http';
import {
  type LongLivedLoad,
  type LongLivedOptions,
  LongLivedRecorder,
  openInBatches,
  podWithin,
  reconnectDelayMs,
} from './load-long-lived.js';
import { plural } from './plural.js';

/** What a browser waits before reconnecting when the stream gave no `retry:`. */
const DEFAULT_RETRY_MS = 3000;

/**
 * SSE readers on `/events` through the balancer, raw over node:http (undici's EventSource
 * fires `error` on every reconnect, so it cannot tell a clean end from a reset). They behave
 * like an EventSource: `Accept: text/event-stream`, reconnect after the last `retry:` when the
 * stream ends cleanly. A reset, an aborted body or a status other than 200 is a failed stream
 * (a browser would stop reconnecting for good on a 204 or a 5xx).
 */
export function eventStreamLoad(options: LongLivedOptions, path = '/events'): LongLivedLoad {
  const recorder = new LongLivedRecorder();
  const requests = new Set<http.ClientRequest>();
  let closing = false;

  const connect = (attempt: number, previous?: { pod: string | undefined; endedAt: number }): Promise<void> =>
    new Promise((resolve) => {
      if (closing) return resolve();
      let settled = false;
      const req = http.get(
        {
          host: options.host,
          port: options.port,
          path,
          agent: false,
          headers: { accept: 'text/event-stream' },
        },
        (res) => {
          const localPort = res.socket.localPort;
          let retryMs = DEFAULT_RETRY_MS;
          let pending = '';
          let pod: string | undefined;
          recorder.open += 1;
          void podWithin(options.podOf, localPort).then((found) => {
            pod = found;
            if (previous !== undefined) recorder.reconnected(previous.pod, pod, previous.endedAt);
            resolve();
          });
          res.setEncoding('utf8').on('data', (chunk: string) => {
            pending += chunk;
            const lines = pending.split('\n');
            pending = lines.pop() ?? '';
            for (const line of lines) {
              const retry = /^retry: ?(\d+)$/.exec(line)?.[1];
              if (retry !== undefined) retryMs = Number(retry);
            }
          });
          const done = (how: string, abnormal: boolean) => {
            if (settled) return;
            settled = true;
            requests.delete(req);
            recorder.open -= 1;
            if (closing) return;
            const endedAt = performance.now();
            recorder.ended(pod, how, abnormal);
            const wait = abnormal ? reconnectDelayMs(attempt) : retryMs;
            setTimeout(() => void connect(abnormal ? attempt + 1 : 1, { pod, endedAt }), wait).unref();
          };
          if (res.statusCode !== 200) {
            res.resume();
            done(`status ${res.statusCode}`, true);
            return;
          }
          res.once('end', () => done(pending === '' ? 'end' : 'end inside an event', pending !== ''));
          res.once('aborted', () => done('aborted', true));
          res.once('error', () => done('reset', true));
        },
      );
      requests.add(req);
      req.once('error', () => {
        if (settled) return;
        settled = true;
        requests.delete(req);
        recorder.failedAttempts += 1;
        resolve();
        if (!closing)
          setTimeout(() => void connect(attempt + 1, previous), reconnectDelayMs(attempt + 1)).unref();
      });
    });

  return {
    description: `${plural(options.clients, 'SSE stream')} on ${path}, reconnecting after retry:`,
    async open() {
      await openInBatches(options.clients, () => connect(1));
    },
    stats: (deletedPod) => recorder.stats(options.clients, deletedPod),
    async close() {
      closing = true;
      for (const req of requests) req.destroy();
      requests.clear();
    },
  };
}

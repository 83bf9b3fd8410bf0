import type { LameduckOptions } from '@lameduck/core';
import { describe, expect, it } from 'vitest';
import { sleep } from './client.js';
import type { ContractApp } from './index.js';
import { openEventStream, openWebSocket, parseEndedStream } from './long-lived.js';

/**
 * The contract for long-lived connections: every adapter's app serves an echo WebSocket at
 * `/ws` and an SSE stream at `/events` (one `data:` event every 200 ms), registered the way the
 * adapter's README says. Runs inside `runAdapterContract`.
 */
export function longLivedContract(start: (options: LameduckOptions) => Promise<{ app: ContractApp }>): void {
  describe('WebSockets and SSE', () => {
    it('/ws and /events keep working during the drain delay; at listener close each WebSocket gets 1001 and each stream retry: and a clean end; exit 0', async () => {
      const { app } = await start({ drainDelayMs: 600, drainTimeoutMs: 4000, closeWindowMs: 300 });
      const sockets = await Promise.all(Array.from({ length: 4 }, () => openWebSocket(app.url)));
      const streams = await Promise.all(Array.from({ length: 3 }, () => openEventStream(app.url)));
      try {
        for (const ws of sockets) expect(await ws.echo('hello')).toBe('hello');
        for (const stream of streams) {
          expect(stream.status).toBe(200);
          expect(stream.contentType).toMatch(/^text\/event-stream/);
        }
        const closing = new Promise<number>((resolve) =>
          app.lameduck.once('closing', () => resolve(Date.now())),
        );
        const stopped = app.lameduck.shutdown('contract');
        // During the delay: new upgrades and new streams are accepted; old ones still flow.
        const late = await openWebSocket(app.url);
        expect(await late.echo('still here')).toBe('still here');
        const lateStream = await openEventStream(app.url);
        expect(lateStream.status).toBe(200);
        await sleep(450);
        expect(app.lameduck.state).toBe('draining');
        for (const stream of [...streams, lateStream]) expect(stream.text()).toContain('data: ');

        const closes = await Promise.all([...sockets, late].map((ws) => ws.closed));
        expect(closes.map((close) => close.code)).toEqual(Array(5).fill(1001));
        const ends = await Promise.all([...streams, lateStream].map((stream) => stream.ended));
        expect(ends.map((end) => end.how)).toEqual(Array(4).fill('end'));
        for (const stream of [...streams, lateStream]) {
          const { events, retry } = parseEndedStream(stream.text());
          expect(events.filter((event) => /^data: /m.test(event)).length).toBeGreaterThan(0);
          // Whole events only: every line a field (id, event, data, retry) or a comment.
          for (const event of events)
            expect(event).toMatch(
              /^(?:(?:id|event|data|retry)?:[^\n]*)(?:\n(?:id|event|data|retry)?:[^\n]*)*$/,
            );
          expect(retry).toBeGreaterThanOrEqual(0);
          expect(retry).toBeLessThanOrEqual(300);
        }
        const closedAt = await closing;
        for (const at of [...closes, ...ends].map((end) => end.at))
          expect(at - closedAt).toBeLessThan(300 + 700);
        const result = await stopped;
        expect(result).toMatchObject({
          exitCode: 0,
          webSocketsClosed: 5,
          webSocketsTerminated: 0,
          streamsEnded: 4,
          socketsDestroyed: 0,
        });
      } finally {
        for (const ws of sockets) ws.ws.terminate();
        for (const stream of streams) stream.close();
      }
    });
  });
}

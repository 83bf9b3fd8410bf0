import { once } from 'node:events';
import { Client } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type ShutdownResult, summaryLine } from '../src/index.js';
import { createTestLameduck, listen } from './support/harness.js';

// Counts in what lameduck prints read as English: "1 socket", "2 sockets".

function result(overrides: Partial<ShutdownResult>): ShutdownResult {
  return {
    reason: 'SIGTERM',
    exitCode: 0,
    phases: { draining: 10, closing: 2, cleanup: 1 },
    totalMs: 13,
    requestsDuringDrain: 0,
    socketsClosed: 0,
    socketsDestroyed: 0,
    webSocketsClosed: 0,
    webSocketsTerminated: 0,
    streamsEnded: 0,
    sessionsClosed: 0,
    sessionsDestroyed: 0,
    socketsClosedMidHeaders: 0,
    drainDelay: { endedBy: 'maximum', ms: 10 },
    servers: [],
    hooks: [],
    deadlineExceeded: false,
    ...overrides,
  };
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('counts in messages', () => {
  it.each([
    [
      1,
      '1 request served while draining; 1 socket closed gracefully, 0 destroyed; 1 WebSocket closed, 0 terminated; 1 stream ended',
    ],
    [
      2,
      '2 requests served while draining; 2 sockets closed gracefully, 0 destroyed; 2 WebSockets closed, 0 terminated; 2 streams ended',
    ],
    [
      0,
      '0 requests served while draining; 0 sockets closed gracefully, 0 destroyed; 0 WebSockets closed, 0 terminated; 0 streams ended',
    ],
  ])('summary line with %i', (n, expected) => {
    const counts = { requestsDuringDrain: n, socketsClosed: n, webSocketsClosed: n, streamsEnded: n };
    expect(summaryLine(result(counts))).toContain(expected);
  });

  it.each([
    [0, 0, undefined],
    [1, 0, '1 HTTP/2 session closed gracefully, 0 destroyed'],
    [2, 1, '2 HTTP/2 sessions closed gracefully, 1 destroyed'],
  ])('summary line with %i HTTP/2 sessions closed, %i destroyed', (closed, destroyed, expected) => {
    const line = summaryLine(result({ sessionsClosed: closed, sessionsDestroyed: destroyed }));
    if (expected === undefined) expect(line).not.toContain('HTTP/2');
    else expect(line).toContain(expected);
  });

  it('the drain timeout warning names 1 busy socket in the singular', async () => {
    const warnings: string[] = [];
    const logger = {
      debug() {},
      info() {},
      error() {},
      warn(_obj: object, msg?: string) {
        warnings.push(msg ?? '');
      },
    };
    const server = await listen(() => {
      // never answers
    });
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const { lameduck } = createTestLameduck({ drainDelayMs: 0, drainTimeoutMs: 200, logger });
    lameduck.attach(server);
    const client = new Client(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
    cleanups.push(() => client.destroy().catch(() => {}));
    const arrived = once(server, 'request');
    const pending = client.request({ path: '/hang', method: 'GET' }).catch(() => undefined);
    await arrived;
    const summary = await lameduck.shutdown('test');
    await pending;
    expect(summary.socketsDestroyed).toBe(1);
    expect(warnings).toContain(
      'lameduck: drain timeout (200 ms) reached, destroying 1 busy socket and terminating 0 WebSockets',
    );
  });
});

import { once } from 'node:events';
import type * as http from 'node:http';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Lameduck } from '../src/index.js';
import { closeServer, createTestLameduck, delay, gate, listen, portOf } from './support/harness.js';

// In-flight responses live on their socket's entry (the oldest one, then the later ones a
// pipelining client sent), never in a Set of responses. These tests hold that bookkeeping to
// what the drain needs: every response in flight is counted once, marked `Connection: close`
// when draining starts, and waited for. Both ways idle sockets are noted: on every response
// (a drain delay shorter than the first-request grace) and when draining starts (a longer one).

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const modes = [
  { noted: 'idle sockets noted on every response', drainDelayMs: 0 },
  { noted: 'idle sockets noted when draining starts', drainDelayMs: 1000 },
] as const;

/** A server attached to a fresh test lameduck, and a raw client socket on it that collects what it receives. */
async function serveOnRawSocket(handler: Handler, drainDelayMs: number) {
  const { lameduck } = createTestLameduck({ drainDelayMs, drainTimeoutMs: 5000 });
  const s = await listen(handler(lameduck));
  s.keepAliveTimeout = 30_000;
  cleanups.push(() => closeServer(s));
  lameduck.attach(s);
  const socket = net.connect(portOf(s), '127.0.0.1');
  cleanups.push(() => socket.destroy());
  const client = { lameduck, socket, received: '' };
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    client.received += chunk;
  });
  return client;
}

type Handler = (lameduck: Lameduck) => (req: http.IncomingMessage, res: http.ServerResponse) => void;

describe.each(modes)('responses in flight on one socket, $noted', ({ drainDelayMs }) => {
  it('pipelined requests are each counted once (tracked twice as by an adapter), all answered, the last with Connection: close', async () => {
    const release = gate();
    const seen: http.ServerResponse[] = [];
    const client = await serveOnRawSocket(
      (lameduck) => (req, res) => {
        // What an adapter's middleware does after the server's listener: a second trackRequest.
        lameduck.trackRequest(req, res);
        seen.push(res);
        void release.promise.then(() => res.end(`done ${req.url}`));
      },
      drainDelayMs,
    );
    const { lameduck, socket } = client;
    const closed = once(socket, 'close');
    socket.write(
      'GET /a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /b HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /c HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
    );
    // node emits 'request' for each pipelined request and queues their responses.
    for (let i = 0; i < 50 && seen.length < 3; i += 1) await delay(10);
    expect(seen).toHaveLength(3);
    expect(lameduck.stats().inFlight).toBe(3);

    const result = lameduck.shutdown('test');
    await delay(100);
    // Draining: the responses in flight are all held, none is cut; only the last one says
    // Connection: close (node ends the socket after it, and the client waits for all three).
    expect(seen.map((res) => res.getHeader('connection'))).toEqual([undefined, undefined, 'close']);
    expect(lameduck.stats().inFlight).toBe(3);
    release.open();
    await closed;

    const answers = client.received.split('HTTP/1.1 200 OK').slice(1);
    expect(answers).toHaveLength(3);
    expect(client.received.endsWith('done /c')).toBe(true);
    expect(answers.map((answer) => /connection: close/i.test(answer))).toEqual([false, false, true]);
    const summary = await result;
    expect(summary.socketsDestroyed).toBe(0);
    expect(summary.exitCode).toBe(0);
    expect(lameduck.stats().inFlight).toBe(0);
  });

  it('a response that closes while later pipelined ones are in flight keeps the socket open for them', async () => {
    const held = gate();
    const client = await serveOnRawSocket(
      () => (req, res) => {
        if (req.url === '/fast') res.end('fast');
        else void held.promise.then(() => res.end('slow'));
      },
      drainDelayMs,
    );
    const { lameduck, socket } = client;
    let closedAt: number | undefined;
    const closed = once(socket, 'close').then(() => {
      closedAt = performance.now();
    });
    socket.write(
      'GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
    );
    for (let i = 0; i < 50 && !client.received.includes('fast'); i += 1) await delay(10);
    await delay(20);
    expect(client.received).toContain('fast');
    expect(lameduck.stats().inFlight).toBe(1);

    const result = lameduck.shutdown('test');
    await delay(200);
    // The first response is over, the second is not: the socket is not idle.
    expect(closedAt).toBeUndefined();
    const openedAt = performance.now();
    held.open();
    await closed;
    expect(closedAt).toBeGreaterThanOrEqual(openedAt);
    expect(client.received.endsWith('slow')).toBe(true);
    const summary = await result;
    expect(summary.socketsClosed).toBe(1);
    expect(summary.socketsDestroyed).toBe(0);
    expect(summary.exitCode).toBe(0);
  });
});

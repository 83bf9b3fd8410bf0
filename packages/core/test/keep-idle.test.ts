import { once } from 'node:events';
import type * as http from 'node:http';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Lameduck, ShutdownResult } from '../src/index.js';
import { closeServer, createTestLameduck, delay, listen, nextState, portOf } from './support/harness.js';

// The idle-close race: closing an idle keep-alive socket at the moment its client sends the next
// request on it loses that request (a POST is never retried). While clients are still reusing
// their kept-alive sockets, lameduck keeps idle ones open after the listener closes, so that the
// next request on each is answered with `Connection: close`; they close once no socket was
// reused for `drainQuietMs`, and at the latest after half the drain timeout.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface KeptSocket {
  readonly socket: net.Socket;
  received: string;
  /** Milliseconds since `t0` when the socket closed, once it has. */
  closedAt: number | undefined;
  readonly closed: Promise<unknown>;
}

let t0 = 0;

async function server(): Promise<http.Server> {
  const s = await listen((req, res) => {
    req.resume();
    req.once('end', () => res.end('ok'));
  });
  s.keepAliveTimeout = 30_000;
  cleanups.push(() => closeServer(s));
  return s;
}

/** A raw socket that carried one request and got its keep-alive answer: idle now. */
async function keptSocket(port: number): Promise<KeptSocket> {
  const socket = net.connect(port, '127.0.0.1');
  cleanups.push(() => socket.destroy());
  socket.on('error', () => {});
  const kept: KeptSocket = { socket, received: '', closedAt: undefined, closed: once(socket, 'close') };
  void kept.closed.then(() => {
    kept.closedAt = performance.now() - t0;
  });
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    kept.received += chunk;
  });
  socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  while (!kept.received.endsWith('ok')) await once(socket, 'data');
  expect(kept.received.toLowerCase()).toContain('connection: keep-alive');
  kept.received = '';
  return kept;
}

/** Sends a POST on a kept socket and resolves with what came back before the socket closed. */
async function post(kept: KeptSocket): Promise<string> {
  const body = '{"n":1}';
  kept.socket.write(
    `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  );
  await kept.closed;
  return kept.received;
}

function expectAnsweredWithClose(received: string): void {
  expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  expect(received.toLowerCase()).toContain('connection: close');
  expect(received.endsWith('\r\n\r\nok')).toBe(true);
}

async function shutdownUntilClosing(lameduck: Lameduck): Promise<Promise<ShutdownResult>> {
  const closing = nextState(lameduck, 'closing');
  const result = lameduck.shutdown('test');
  await closing;
  return result;
}

describe('idle keep-alive sockets at the listener close (the idle-close race)', () => {
  it('while clients reuse their sockets, idle ones stay open: the next request on each is answered with Connection: close; the rest close once reuse is quiet', async () => {
    const s = await server();
    const { lameduck } = createTestLameduck({ drainDelayMs: 400, drainQuietMs: 500, drainTimeoutMs: 6000 });
    lameduck.attach(s);
    const [early, late, silent] = (await Promise.all([1, 2, 3].map(() => keptSocket(portOf(s))))) as [
      KeptSocket,
      KeptSocket,
      KeptSocket,
    ];
    const closing = nextState(lameduck, 'closing');
    const result = lameduck.shutdown('test');
    // Late in the drain delay, a client reuses its socket: the clients are still active.
    await delay(300);
    expectAnsweredWithClose(await post(early));
    await closing;
    t0 = performance.now();
    await delay(150);
    // The listener is closed, yet the idle sockets are open: either may be the next one reused.
    expect(late.closedAt).toBeUndefined();
    expect(silent.closedAt).toBeUndefined();
    // One is: its POST is answered, not reset.
    const reusedAt = performance.now() - t0;
    expectAnsweredWithClose(await post(late));
    // No socket reused for drainQuietMs (500 ms) after that: the last idle one closes.
    await silent.closed;
    expect(silent.received).toBe('');
    expect(silent.closedAt).toBeGreaterThanOrEqual(reusedAt + 450);
    expect(silent.closedAt).toBeLessThan(reusedAt + 2500);
    const summary = await result;
    expect(summary.socketsClosed).toBe(3);
    expect(summary.socketsDestroyed).toBe(0);
    expect(summary.requestsDuringDrain).toBe(2);
    expect(summary.exitCode).toBe(0);
  });

  it('with no socket reused since the drain began, idle sockets close as the listener closes', async () => {
    const s = await server();
    const { lameduck } = createTestLameduck({ drainDelayMs: 300, drainQuietMs: 400, drainTimeoutMs: 6000 });
    lameduck.attach(s);
    const kept = await Promise.all([1, 2, 3].map(() => keptSocket(portOf(s))));
    const result = await shutdownUntilClosing(lameduck);
    t0 = performance.now();
    await Promise.all(kept.map((k) => k.closed));
    for (const k of kept) expect(k.closedAt).toBeLessThan(300);
    const summary = await result;
    expect(summary.socketsClosed).toBe(3);
    expect(summary.exitCode).toBe(0);
  });

  it('drainQuietMs 0 closes idle sockets as the listener closes even while clients reuse theirs', async () => {
    const s = await server();
    const { lameduck } = createTestLameduck({ drainDelayMs: 300, drainQuietMs: 0, drainTimeoutMs: 6000 });
    lameduck.attach(s);
    const [early, idle] = (await Promise.all([1, 2].map(() => keptSocket(portOf(s))))) as [
      KeptSocket,
      KeptSocket,
    ];
    const closing = nextState(lameduck, 'closing');
    const result = lameduck.shutdown('test');
    expectAnsweredWithClose(await post(early));
    await closing;
    t0 = performance.now();
    await idle.closed;
    expect(idle.closedAt).toBeLessThan(300);
    expect((await result).exitCode).toBe(0);
  });

  it('clients that never stop reusing cannot hold the drain: idle sockets close after half the drain timeout, none counted as destroyed', async () => {
    const s = await server();
    const { lameduck } = createTestLameduck({ drainDelayMs: 300, drainQuietMs: 3000, drainTimeoutMs: 2000 });
    lameduck.attach(s);
    const kept = await Promise.all(Array.from({ length: 8 }, () => keptSocket(portOf(s))));
    const closing = nextState(lameduck, 'closing');
    const result = lameduck.shutdown('test');
    await delay(200);
    expectAnsweredWithClose(await post(kept[0] as KeptSocket));
    await closing;
    t0 = performance.now();
    // One reuse every 250 ms, far from 3000 ms of quiet. The test stops 200 ms before the bound.
    const answered: string[] = [];
    for (const k of kept.slice(1)) {
      await delay(250);
      if (performance.now() - t0 > 800) break;
      answered.push(await post(k));
    }
    const summary = await result;
    const last = kept.at(-1) as KeptSocket;
    // Half the drain timeout (1000 ms) after the listener closed, the ones still idle closed.
    expect(last.received).toBe('');
    expect(last.closedAt).toBeGreaterThanOrEqual(900);
    expect(last.closedAt).toBeLessThan(1600);
    expect(answered.length).toBeGreaterThanOrEqual(1);
    expect(answered.length).toBeLessThanOrEqual(3);
    for (const received of answered) expectAnsweredWithClose(received);
    expect(summary.socketsDestroyed).toBe(0);
    expect(summary.socketsClosed).toBe(8);
    expect(summary.exitCode).toBe(0);
  });
});

import { once } from 'node:events';
import type * as http from 'node:http';
import * as net from 'node:net';
import { Server as SocketIoServer } from 'socket.io';
import { io as socketIoClient } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { ErrorCodes, type Lameduck } from '../src/index.js';
import {
  closeServer,
  createTestLameduck,
  delay,
  type Handler,
  listen,
  nextState,
  portOf,
} from './support/harness.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const hello: Handler = (_req, res) => res.end('hello');

async function server(handler: Handler = hello): Promise<http.Server> {
  const s = await listen(handler);
  cleanups.push(() => closeServer(s));
  return s;
}

/** An echo `ws` server on `s`, as a user writes it: new WebSocketServer({ server }). */
function echo(s: http.Server): WebSocketServer {
  const wss = new WebSocketServer({ server: s });
  wss.on('connection', (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })));
  cleanups.push(() => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
  });
  return wss;
}

interface Client {
  readonly ws: WebSocket;
  /** Close code and when the close event came. */
  readonly closed: Promise<{ code: number; at: number }>;
}

async function connect(s: http.Server): Promise<Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${portOf(s)}/ws`);
  cleanups.push(() => ws.terminate());
  ws.on('error', () => {});
  const closed = new Promise<{ code: number; at: number }>((resolve) =>
    ws.once('close', (code) => resolve({ code, at: Date.now() })),
  );
  await once(ws, 'open');
  return { ws, closed };
}

async function echoed(ws: WebSocket, text: string): Promise<string> {
  const answer = once(ws, 'message');
  ws.send(text);
  const [data] = (await answer) as [Buffer];
  return data.toString();
}

/** A request with `Upgrade: websocket` headers, over a raw socket; resolves with what came back. */
function rawUpgradeRequest(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => socket.destroy(), 2000);
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      received += chunk;
      if (received.includes('hello')) socket.destroy();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.write(
      'GET /plain HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
  });
}

describe('WebSockets (ws) drain', () => {
  it('lameduck adds no upgrade listener: a request with Upgrade: headers is answered as a normal request', async () => {
    const s = await server();
    const { lameduck } = createTestLameduck({ drainDelayMs: 400, drainTimeoutMs: 1000 });
    lameduck.attach(s);
    lameduck.trackWebSockets(new WebSocketServer({ noServer: true }));
    expect(s.listenerCount('upgrade')).toBe(0);
    expect(await rawUpgradeRequest(portOf(s))).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*hello$/);
    const result = lameduck.shutdown('test');
    expect(s.listenerCount('upgrade')).toBe(0);
    expect(await rawUpgradeRequest(portOf(s))).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*hello$/);
    expect((await result).exitCode).toBe(0);
    expect(s.listenerCount('upgrade')).toBe(0);
  });

  it('upgrades are accepted and served during the drain delay; at closing every WebSocket gets 1001, jittered over the close window', async () => {
    const s = await server();
    const wss = echo(s);
    const { lameduck, exits } = createTestLameduck({
      drainDelayMs: 500,
      drainTimeoutMs: 3000,
      closeWindowMs: 600,
    });
    lameduck.attach(s);
    lameduck.trackWebSockets(wss);
    const before = await Promise.all(Array.from({ length: 20 }, () => connect(s)));
    const started = Date.now();
    const result = lameduck.shutdown('test');
    const closingAt = nextState(lameduck, 'closing').then(() => Date.now());
    // During the delay: old ones still echo, new upgrades are accepted.
    const during = await Promise.all(Array.from({ length: 10 }, () => connect(s)));
    expect(lameduck.state).toBe('draining');
    for (const client of [...before, ...during]) expect(await echoed(client.ws, 'ping')).toBe('ping');
    const closes = await Promise.all([...before, ...during].map((client) => client.closed));
    const closing = await closingAt;
    expect(closes.map((close) => close.code)).toEqual(Array(30).fill(1001));
    const offsets = closes.map((close) => close.at - closing);
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(-5);
    // Spread over the window, not all at once.
    expect(Math.max(...offsets) - Math.min(...offsets)).toBeGreaterThan(150);
    expect(Math.max(...offsets)).toBeLessThan(600 + 400);
    const summary = await result;
    expect(summary).toMatchObject({
      exitCode: 0,
      webSocketsClosed: 30,
      webSocketsTerminated: 0,
      socketsDestroyed: 0,
    });
    expect(summary.totalMs).toBeLessThan(Date.now() - started + 1);
    expect(summary.phases.closing).toBeLessThan(600 + 500);
    expect(exits).toEqual([0]);
  });

  it('webSocketCloseCode 1012 (service restart) is sent instead; LAMEDUCK_WEBSOCKET_CLOSE_CODE sets it too', async () => {
    const s = await server();
    const wss = echo(s);
    const { lameduck } = createTestLameduck({
      env: { LAMEDUCK_WEBSOCKET_CLOSE_CODE: '1012', LAMEDUCK_CLOSE_WINDOW_MS: '100' },
      drainTimeoutMs: 2000,
    });
    expect(lameduck.options).toMatchObject({ webSocketCloseCode: 1012, closeWindowMs: 100 });
    lameduck.attach(s);
    lameduck.trackWebSockets(wss);
    const clients = await Promise.all(Array.from({ length: 3 }, () => connect(s)));
    const summary = await lameduck.shutdown('test');
    expect((await Promise.all(clients.map((c) => c.closed))).map((c) => c.code)).toEqual([1012, 1012, 1012]);
    expect(summary.webSocketsClosed).toBe(3);
  });

  it('WebSockets open before trackWebSockets() are closed too (wss.clients)', async () => {
    const s = await server();
    const wss = echo(s);
    const { lameduck } = createTestLameduck({ closeWindowMs: 50, drainTimeoutMs: 2000 });
    lameduck.attach(s);
    const early = await connect(s);
    lameduck.trackWebSockets(wss);
    const summary = await lameduck.shutdown('test');
    expect((await early.closed).code).toBe(1001);
    expect(summary).toMatchObject({ exitCode: 0, webSocketsClosed: 1, webSocketsTerminated: 0 });
  });

  it('a client that never answers the close frame is terminated at the drain timeout, counted, exit code 1', async () => {
    const s = await server();
    const wss = echo(s);
    const { lameduck, exits } = createTestLameduck({ closeWindowMs: 100, drainTimeoutMs: 800 });
    lameduck.attach(s);
    lameduck.trackWebSockets(wss);
    const polite = await connect(s);
    // A raw client: handshake, then it reads frames and never answers them.
    const rude = net.connect(portOf(s), '127.0.0.1');
    cleanups.push(() => rude.destroy());
    let rudeReceived = Buffer.alloc(0);
    rude.on('data', (chunk: Buffer) => {
      rudeReceived = Buffer.concat([rudeReceived, chunk]);
    });
    rude.on('error', () => {});
    const rudeClosed = once(rude, 'close').then(() => Date.now());
    rude.write(
      'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    while (!rudeReceived.toString('latin1').includes('\r\n\r\n')) await once(rude, 'data');
    expect(rudeReceived.toString('latin1')).toMatch(/^HTTP\/1\.1 101/);
    while (wss.clients.size < 2) await delay(10);
    const closingAt = nextState(lameduck, 'closing').then(() => Date.now());
    const summary = await lameduck.shutdown('test');
    expect((await polite.closed).code).toBe(1001);
    // The close frame reached it (opcode 8, code 1001), it did not answer, it was cut at the timeout.
    const frames = rudeReceived.subarray(rudeReceived.indexOf('\r\n\r\n') + 4);
    expect(frames[0]).toBe(0x88);
    expect(frames.readUInt16BE(2)).toBe(1001);
    const cutAfter = (await rudeClosed) - (await closingAt);
    expect(cutAfter).toBeGreaterThanOrEqual(750);
    expect(cutAfter).toBeLessThan(800 + 1000);
    expect(summary).toMatchObject({
      exitCode: 1,
      webSocketsClosed: 1,
      webSocketsTerminated: 1,
      socketsDestroyed: 0,
    });
    expect(exits).toEqual([1]);
  });

  it('without trackWebSockets() the WebSockets are cut at the drain timeout (the control)', async () => {
    const s = await server();
    echo(s);
    const { lameduck } = createTestLameduck({ drainTimeoutMs: 600 });
    lameduck.attach(s);
    const client = await connect(s);
    const summary = await lameduck.shutdown('test');
    expect((await client.closed).code).toBe(1006);
    expect(summary).toMatchObject({ exitCode: 1, socketsDestroyed: 1, webSocketsClosed: 0 });
    expect(summary.phases.closing).toBeGreaterThanOrEqual(590);
  });

  it('rejects what is not a WebSocket server, and bad close codes and windows', () => {
    const { lameduck } = createTestLameduck();
    expect(() => lameduck.trackWebSockets({})).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }),
    );
    expect(() => createTestLameduck({ webSocketCloseCode: 1000 as 1001 })).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }),
    );
    expect(() => createTestLameduck({ closeWindowMs: -1 })).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }),
    );
    expect(() => createTestLameduck({ env: { LAMEDUCK_WEBSOCKET_CLOSE_CODE: '1006' } })).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_ENV }),
    );
    expect(() => createTestLameduck({ env: { LAMEDUCK_CLOSE_WINDOW_MS: '1s' } })).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_ENV }),
    );
  });
});

describe('socket.io drain', () => {
  async function ioServer(
    lameduck: Lameduck,
    attachFirst: boolean,
  ): Promise<{ s: http.Server; io: SocketIoServer }> {
    const s = await server((_req, res) => res.end('plain'));
    if (attachFirst) lameduck.attach(s);
    const io = new SocketIoServer(s, { pingInterval: 25_000 });
    io.on('connection', (socket) => socket.on('echo', (text: string, ack: (t: string) => void) => ack(text)));
    cleanups.push(() => {
      io.disconnectSockets(true);
      io.engine.close();
    });
    if (!attachFirst) lameduck.attach(s);
    lameduck.trackWebSockets(io);
    return { s, io };
  }

  it.each([
    ['websocket', true],
    ['polling', false],
  ] as const)(
    'a %s client sees a transport close (it reconnects), the long poll is not waited for',
    async (transport, attachFirst) => {
      const { lameduck } = createTestLameduck({
        drainDelayMs: 200,
        drainTimeoutMs: 5000,
        closeWindowMs: 200,
      });
      const { s } = await ioServer(lameduck, attachFirst);
      const client = socketIoClient(`http://127.0.0.1:${portOf(s)}`, {
        transports: [transport],
        reconnectionDelay: 100,
        reconnectionDelayMax: 200,
      });
      cleanups.push(() => client.close());
      await new Promise((resolve) => client.once('connect', () => resolve(undefined)));
      expect(await client.emitWithAck('echo', 'hi')).toBe('hi');
      const disconnected = new Promise<string>((resolve) => client.once('disconnect', resolve));
      const reconnecting = new Promise((resolve) => client.io.once('reconnect_attempt', resolve));
      const summary = await lameduck.shutdown('test');
      expect(await disconnected).toBe('transport close');
      await reconnecting; // a client told "io server disconnect" would never try
      expect(summary).toMatchObject({
        exitCode: 0,
        webSocketsClosed: 1,
        webSocketsTerminated: 0,
        socketsDestroyed: 0,
      });
      // The 25 s ping interval was not waited for.
      expect(summary.phases.closing).toBeLessThan(2000);
    },
  );
});

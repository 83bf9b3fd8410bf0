import { once } from 'node:events';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closeServer, createTestLameduck, delay, gate, listen, portOf } from './support/harness.js';

// With a drain delay at least as long as the first-request grace (the Kubernetes default, 5 s,
// against 1 s), a socket going idle while serving does not note its bytes read: idle sockets
// are noted when draining starts. These tests hold that mode to what the drain needs: only the
// responses in flight are counted, an idle socket reused while draining gets Connection: close,
// and a response whose headers went out before draining still has its socket closed after it.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const REQUEST = (path: string) => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;

/** A raw keep-alive client socket that collects what it receives. */
function rawClient(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  cleanups.push(() => socket.destroy());
  const client = { socket, received: '', closed: once(socket, 'close') };
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    client.received += chunk;
  });
  return client;
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i += 1) await delay(10);
  expect(check()).toBe(true);
}

const answers = (received: string) => received.split('HTTP/1.1 200 OK').slice(1);

describe('a drain delay longer than the first-request grace', () => {
  it('counts only the responses still in flight, and drains idle and busy sockets alike', async () => {
    const { lameduck } = createTestLameduck({ drainDelayMs: 1000, drainTimeoutMs: 5000 });
    const held = gate();
    const server = await listen((req, res) => {
      if (req.url === '/slow') void held.promise.then(() => res.end('slow'));
      else res.end('fast');
    });
    server.keepAliveTimeout = 30_000;
    cleanups.push(() => closeServer(server));
    lameduck.attach(server);

    // One socket that carried three requests, all answered; one with a request in flight.
    const idle = rawClient(portOf(server));
    for (let i = 1; i <= 3; i += 1) {
      idle.socket.write(REQUEST('/fast'));
      await until(() => answers(idle.received).length === i);
    }
    const busy = rawClient(portOf(server));
    busy.socket.write(REQUEST('/slow'));
    await until(() => lameduck.stats().open.http === 2 && lameduck.stats().inFlight === 1);
    expect(lameduck.stats().inFlight).toBe(1);

    const result = lameduck.shutdown('test');
    await delay(50);
    // The idle socket's last response ended before draining: it is idle, and reused it gets
    // its answer with Connection: close, after which node ends it.
    idle.socket.write(REQUEST('/fast'));
    await idle.closed;
    expect(answers(idle.received)).toHaveLength(4);
    expect(answers(idle.received).map((a) => /connection: close/i.test(a))).toEqual([
      false,
      false,
      false,
      true,
    ]);

    // The response in flight when draining started is waited for; its socket closes after it.
    expect(lameduck.stats().inFlight).toBe(1);
    held.open();
    await busy.closed;
    expect(busy.received).toMatch(/connection: close/i);
    expect(busy.received.endsWith('slow')).toBe(true);
    expect(lameduck.stats().inFlight).toBe(0);

    const summary = await result;
    expect(summary.socketsDestroyed).toBe(0);
    expect(summary.exitCode).toBe(0);
  });

  it('a response that headed out before draining started still has its socket closed right after it', async () => {
    const { lameduck } = createTestLameduck({ drainDelayMs: 1000, drainTimeoutMs: 5000 });
    const held = gate();
    const server = await listen((_req, res) => {
      // Headers out with keep-alive, body still to come.
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('part ');
      void held.promise.then(() => res.end('end'));
    });
    server.keepAliveTimeout = 30_000;
    cleanups.push(() => closeServer(server));
    lameduck.attach(server);

    const client = rawClient(portOf(server));
    client.socket.write(REQUEST('/'));
    await until(() => client.received.includes('part'));
    const result = lameduck.shutdown('test');
    await delay(50);
    held.open();
    let closedAt: number | undefined;
    void client.closed.then(() => {
      closedAt = performance.now();
    });
    const endedAt = performance.now();
    await client.closed;
    // Closed by lameduck after the response, not at the end of the drain delay (1 s).
    expect(closedAt).toBeDefined();
    expect((closedAt ?? 0) - endedAt).toBeLessThan(500);
    expect(client.received).not.toMatch(/connection: close/i);
    const summary = await result;
    expect(summary.socketsDestroyed).toBe(0);
    expect(summary.exitCode).toBe(0);
  });
});

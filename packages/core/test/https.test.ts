import { once } from 'node:events';
import * as https from 'node:https';
import * as net from 'node:net';
import { Client } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { State } from '../src/index.js';
import { createTestLameduck, gate, nextState, portOf } from './support/harness.js';
import { selfSignedCertificate } from './support/self-signed.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('https servers', () => {
  it('drain the same way: Connection: close in flight, idle TLS sockets closed with the listener, then refused', async () => {
    const { key, cert } = selfSignedCertificate();
    const release = gate();
    const server = https.createServer({ key, cert }, async (req, res) => {
      if (req.url === '/slow') await release.promise;
      res.end(req.url);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => {
      server.closeAllConnections();
      server.close();
    });
    const port = portOf(server);
    const { lameduck, exits } = createTestLameduck({ drainDelayMs: 300, drainTimeoutMs: 2000 });
    lameduck.attach(server);
    expect(lameduck.state).toBe('serving');
    const origin = `https://127.0.0.1:${port}`;
    const idle = new Client(origin, { connect: { ca: cert }, keepAliveTimeout: 30_000 });
    const busy = new Client(origin, { connect: { ca: cert }, keepAliveTimeout: 30_000 });
    cleanups.push(
      () => idle.destroy().catch(() => {}),
      () => busy.destroy().catch(() => {}),
    );
    const first = await idle.request({ path: '/fast', method: 'GET' });
    expect(first.headers.connection).toBe('keep-alive');
    expect(await first.body.text()).toBe('/fast');
    const idleClosed = new Promise<State>((resolve) =>
      idle.once('disconnect', () => resolve(lameduck.state)),
    );
    const arrived = once(server, 'request');
    const slow = busy.request({ path: '/slow', method: 'GET' });
    await arrived;
    const result = lameduck.shutdown('test');
    await nextState(lameduck, 'closing');
    expect(await idleClosed).toBe('closing');
    const refused = await new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => resolve('connected'));
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    release.open();
    const response = await slow;
    expect(response.statusCode).toBe(200);
    expect(response.headers.connection).toBe('close');
    expect(await response.body.text()).toBe('/slow');
    const summary = await result;
    expect(summary.exitCode).toBe(0);
    expect(summary.socketsClosed).toBe(2);
    expect(exits).toEqual([0]);
  });

  it('dispose removes the secureConnection listener', () => {
    const { key, cert } = selfSignedCertificate();
    const server = https.createServer({ key, cert });
    const before = server.listenerCount('secureConnection');
    const { lameduck } = createTestLameduck();
    lameduck.attach(server);
    expect(server.listenerCount('secureConnection')).toBe(before + 1);
    lameduck.dispose();
    expect(server.listenerCount('secureConnection')).toBe(before);
  });
});

import * as http from 'node:http';
import { Client } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { Lameduck } from '../src/index.js';
import {
  closeServer,
  createTestLameduck,
  delay,
  gate,
  type Handler,
  listen,
  originOf,
} from './support/harness.js';

// lameduck sees every request before the app does. With one app listener on the server it does
// so by wrapping that listener (one emit target per request instead of two); these tests hold the
// wrapper to the EventEmitter contract apps rely on, and hold tracking to surviving whatever
// replaces the listeners later.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function attached(handler: Handler, drainDelayMs = 0) {
  const { lameduck } = createTestLameduck({ drainDelayMs, drainTimeoutMs: 5000 });
  const server = await listen(handler);
  cleanups.push(() => closeServer(server));
  const detach = lameduck.attach(server);
  return { lameduck, server, detach };
}

/** A request held in the app until released: what lameduck counts in flight meanwhile, and the answer. */
async function inFlightDuringRequest(lameduck: Lameduck, server: http.Server, held: ReturnType<typeof gate>) {
  const client = new Client(originOf(server));
  cleanups.push(() => client.destroy().catch(() => {}));
  const response = client.request({ path: '/', method: 'GET' });
  for (let i = 0; i < 100 && lameduck.stats().inFlight === 0; i += 1) await delay(5);
  const inFlight = lameduck.stats().inFlight;
  held.open();
  const { statusCode, body } = await response;
  return { inFlight, statusCode, text: await body.text() };
}

function holdingApp(held: ReturnType<typeof gate>): Handler {
  return (_req, res) => {
    void held.promise.then(() => res.end('app'));
  };
}

describe('the request listener', () => {
  it("wraps the app's only listener: listeners() still reports the app's, each request is tracked, detach gives the original back", async () => {
    const held = gate();
    const app = holdingApp(held);
    const { lameduck, server, detach } = await attached(app);
    expect(server.listeners('request')).toEqual([app]);
    expect(server.rawListeners('request')).toHaveLength(1);
    expect(server.rawListeners('request')[0]).not.toBe(app);
    expect(await inFlightDuringRequest(lameduck, server, held)).toEqual({
      inFlight: 1,
      statusCode: 200,
      text: 'app',
    });

    detach();
    expect(server.rawListeners('request')).toEqual([app]);
    expect(server.listenerCount('removeListener')).toBe(0);
    lameduck.dispose();
  });

  it("server.removeListener('request', app) removes the app's listener; the app's next listener is tracked again", async () => {
    const held = gate();
    const first: Handler = (_req, res) => res.end('first');
    const { lameduck, server } = await attached(first);
    server.removeListener('request', first);
    expect(server.listenerCount('request')).toBe(0);
    server.on('request', holdingApp(held));
    await delay(0);
    expect(server.listenerCount('request')).toBe(1);
    expect(await inFlightDuringRequest(lameduck, server, held)).toEqual({
      inFlight: 1,
      statusCode: 200,
      text: 'app',
    });
    lameduck.dispose();
  });

  it('listeners taken over the way socket.io does it (copied, all removed, called from a new one) are still tracked', async () => {
    const held = gate();
    const app = holdingApp(held);
    const { lameduck, server } = await attached(app);
    const copied = server.listeners('request').slice();
    server.removeAllListeners('request');
    server.on('request', (req, res) => {
      for (const listener of copied) listener.call(server, req, res);
    });
    await delay(0);
    expect(await inFlightDuringRequest(lameduck, server, held)).toEqual({
      inFlight: 1,
      statusCode: 200,
      text: 'app',
    });
    lameduck.dispose();
  });

  it('with two listeners on the server, lameduck goes in front of both; detach leaves them as they were', async () => {
    const held = gate();
    const app = holdingApp(held);
    const logger: Handler = () => {};
    const server = await listen(app);
    cleanups.push(() => closeServer(server));
    server.on('request', logger);
    const { lameduck } = createTestLameduck({ drainDelayMs: 0, drainTimeoutMs: 5000 });
    const detach = lameduck.attach(server);
    expect(server.listenerCount('request')).toBe(3);
    expect(server.listeners('request').slice(1)).toEqual([app, logger]);
    expect(await inFlightDuringRequest(lameduck, server, held)).toEqual({
      inFlight: 1,
      statusCode: 200,
      text: 'app',
    });
    detach();
    expect(server.rawListeners('request')).toEqual([app, logger]);
    lameduck.dispose();
  });

  it('a listener added after attach() keeps its place when the server is detached', async () => {
    const app: Handler = (_req, res) => res.end('app');
    const later: Handler = () => {};
    const { lameduck, server, detach } = await attached(app);
    server.on('request', later);
    detach();
    expect(server.rawListeners('request')).toEqual([app, later]);
    lameduck.dispose();
  });

  it('a request is tracked before the app answers it synchronously, and while draining it says Connection: close', async () => {
    const app: Handler = (_req, res) => res.end('app');
    const { lameduck, server } = await attached(app, 300);
    const client = new Client(originOf(server));
    cleanups.push(() => client.destroy().catch(() => {}));
    await (await client.request({ path: '/', method: 'GET' })).body.text();
    const stopped = lameduck.shutdown('test');
    await delay(20);
    const response = await client.request({ path: '/', method: 'GET' });
    expect(response.headers.connection).toBe('close');
    expect(await response.body.text()).toBe('app');
    await stopped;
    expect(lameduck.stats().requestsDuringDrain).toBe(1);
  });
});

describe('server listeners with http.createServer()', () => {
  it('a server created without a handler and given one later (on("request")) is tracked', async () => {
    const held = gate();
    const server = http.createServer();
    cleanups.push(() => closeServer(server));
    const { lameduck } = createTestLameduck({ drainDelayMs: 0, drainTimeoutMs: 5000 });
    lameduck.attach(server);
    server.on('request', holdingApp(held));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    expect(await inFlightDuringRequest(lameduck, server, held)).toEqual({
      inFlight: 1,
      statusCode: 200,
      text: 'app',
    });
    lameduck.dispose();
  });
});

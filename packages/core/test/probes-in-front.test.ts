import { once } from 'node:events';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import { Client } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes, listen as listenAttached } from '../src/index.js';
import {
  closeServer,
  codeOf,
  createTestLameduck,
  delay,
  type Handler,
  listen,
  nextState,
  originOf,
} from './support/harness.js';

// attach(server, { probes }): the probes are answered in the server's request listener, in front
// of the app, so that a framework needs no middleware of lameduck's (Express pays for every
// middleware layer on every request). The app must never see a probe.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An app that answers `app <path>` and records every path it was handed. */
function recordingApp(): { handler: Handler; seen: string[] } {
  const seen: string[] = [];
  const handler: Handler = (req, res) => {
    seen.push(req.url ?? '');
    res.end(`app ${req.url}`);
  };
  return { handler, seen };
}

async function served(handler: Handler): Promise<http.Server> {
  const server = await listen(handler);
  cleanups.push(() => closeServer(server));
  return server;
}

function clientOf(server: http.Server): Client {
  const client = new Client(originOf(server));
  cleanups.push(() => client.destroy().catch(() => {}));
  return client;
}

async function request(client: Client, path: string, method: 'GET' | 'HEAD' | 'POST' = 'GET') {
  const response = await client.request({ path, method });
  return { status: response.statusCode, text: await response.body.text(), headers: response.headers };
}

describe('attach(server, { probes })', () => {
  it('answers /readyz and /livez in front of the app, which never sees them; every other request reaches the app', async () => {
    const { lameduck, exited } = createTestLameduck({ drainDelayMs: 300, drainTimeoutMs: 2000 });
    const app = recordingApp();
    const server = await served(app.handler);
    lameduck.attach(server, { probes: true });
    lameduck.ready();
    const client = clientOf(server);

    const ready = await request(client, '/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toEqual({ status: 'ok', state: 'serving' });
    expect(ready.headers['cache-control']).toBe('no-store');
    expect((await request(client, '/livez?verbose=1')).status).toBe(200);
    const head = await request(client, '/readyz', 'HEAD');
    expect(head).toMatchObject({ status: 200, text: '' });
    expect(await request(client, '/')).toMatchObject({ status: 200, text: 'app /' });
    // Only GET and HEAD are probes; a POST to the path is the app's.
    expect((await request(client, '/readyz', 'POST')).text).toBe('app /readyz');
    expect(app.seen).toEqual(['/', '/readyz']);

    const draining = nextState(lameduck, 'draining');
    void lameduck.shutdown('test');
    await draining;
    const failing = await request(client, '/readyz');
    expect(failing.status).toBe(503);
    expect(JSON.parse(failing.text)).toMatchObject({ status: 'unavailable', state: 'draining' });
    expect(failing.headers.connection).toBe('close');
    const live = await request(clientOf(server), '/livez');
    expect(live.status).toBe(200);
    expect(app.seen).toEqual(['/', '/readyz']);
    await client.close();
    expect(await exited).toBe(0);
  });

  it('takes the paths as the adapters do: another readiness path, liveness turned off (then the app gets /livez)', async () => {
    const { lameduck } = createTestLameduck();
    const app = recordingApp();
    const server = await served(app.handler);
    lameduck.attach(server, { probes: { readinessPath: '/health/ready', livenessPath: false } });
    lameduck.ready();
    const client = clientOf(server);
    expect((await request(client, '/health/ready')).status).toBe(200);
    expect(await request(client, '/livez')).toMatchObject({ status: 200, text: 'app /livez' });
    expect(await request(client, '/readyz')).toMatchObject({ status: 200, text: 'app /readyz' });
    expect(app.seen).toEqual(['/livez', '/readyz']);
    lameduck.dispose();
  });

  it('without { probes } (the default) the app gets the probe paths; after detach() it gets them again', async () => {
    const { lameduck } = createTestLameduck();
    const plain = recordingApp();
    const server = await served(plain.handler);
    lameduck.attach(server);
    expect((await request(clientOf(server), '/readyz')).text).toBe('app /readyz');

    const probed = recordingApp();
    const other = await served(probed.handler);
    const detach = lameduck.attach(other, { probes: true });
    expect((await request(clientOf(other), '/readyz')).text).not.toBe('app /readyz');
    detach();
    expect(other.rawListeners('request')).toEqual([probed.handler]);
    expect((await request(clientOf(other), '/readyz')).text).toBe('app /readyz');
    lameduck.dispose();
  });

  it('still answers them after the listeners are taken over the way socket.io does it', async () => {
    const { lameduck } = createTestLameduck();
    const app = recordingApp();
    const server = await served(app.handler);
    lameduck.attach(server, { probes: true });
    lameduck.ready();
    const copied = server.listeners('request').slice();
    server.removeAllListeners('request');
    server.on('request', (req, res) => {
      for (const listener of copied) listener.call(server, req, res);
    });
    await delay(0);
    const client = clientOf(server);
    expect((await request(client, '/readyz')).status).toBe(200);
    expect((await request(client, '/')).text).toBe('app /');
    expect(app.seen).toEqual(['/']);
    lameduck.dispose();
  });

  it('logs an error when the listeners later take a shape it cannot stand in front of, and leaves the probes to the app', async () => {
    const errors: Array<{ obj: Record<string, unknown>; msg?: string }> = [];
    const logger = {
      debug() {},
      info() {},
      warn() {},
      error(obj: object, msg?: string) {
        errors.push({ obj: obj as Record<string, unknown>, msg });
      },
    };
    const { lameduck } = createTestLameduck({ logger });
    const app = recordingApp();
    const server = await served(app.handler);
    lameduck.attach(server, { probes: true });
    server.removeAllListeners('request');
    server.on('request', app.handler);
    server.on('request', () => {});
    await delay(0);
    expect((await request(clientOf(server), '/readyz')).text).toBe('app /readyz');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.obj.code).toBe(ErrorCodes.MISUSE);
    expect(errors[0]?.msg).toContain('no longer has exactly one request listener');
    expect(errors[0]?.msg).toContain('probes: false');
    lameduck.dispose();
  });

  it('a second attach() cannot turn the probes on (the listener is wired already): MISUSE; repeating the first is fine', async () => {
    const { lameduck } = createTestLameduck();
    const plain = await served(recordingApp().handler);
    const detachPlain = lameduck.attach(plain);
    expect(codeOf(() => lameduck.attach(plain, { probes: true }))).toBe(ErrorCodes.MISUSE);
    expect(lameduck.attach(plain)).toBe(detachPlain);
    const probed = await served(recordingApp().handler);
    const detachProbed = lameduck.attach(probed, { probes: true });
    expect(lameduck.attach(probed, { probes: true })).toBe(detachProbed);
    expect(lameduck.attach(probed)).toBe(detachProbed);
    lameduck.dispose();
  });

  it('answers them on an HTTP/2 server too (h2c), in front of the app, 503 once draining', async () => {
    const { lameduck } = createTestLameduck({ drainDelayMs: 2000 });
    const seen: string[] = [];
    const server = http2.createServer((req, res) => {
      seen.push(req.url);
      res.end('app');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
        }),
    );
    lameduck.attach(server, { probes: true });
    const session = http2.connect(originOf(server));
    cleanups.push(() => session.destroy());
    const get = (path: string) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const stream = session.request({ ':path': path });
        let status = 0;
        let text = '';
        stream.on('response', (headers) => {
          status = Number(headers[':status']);
        });
        stream.setEncoding('utf8').on('data', (chunk: string) => {
          text += chunk;
        });
        stream.on('end', () => resolve({ status, text }));
        stream.on('error', reject);
      });
    expect((await get('/readyz')).status).toBe(200);
    expect(await get('/')).toEqual({ status: 200, text: 'app' });
    const draining = nextState(lameduck, 'draining');
    void lameduck.shutdown('test');
    await draining;
    expect((await get('/readyz')).status).toBe(503);
    expect(seen).toEqual(['/']);
    lameduck.dispose();
  });

  it('refuses a server it cannot stand in front of, and a bad value, with a typed error that says what to change', async () => {
    const { lameduck } = createTestLameduck();
    const twoListeners = await served(() => {});
    twoListeners.on('request', () => {});
    expect(codeOf(() => lameduck.attach(twoListeners, { probes: true }))).toBe(ErrorCodes.MISUSE);
    const none = http.createServer();
    expect(codeOf(() => lameduck.attach(none, { probes: true }))).toBe(ErrorCodes.MISUSE);
    try {
      lameduck.attach(none, { probes: true });
    } catch (error) {
      expect(String(error)).toContain('this one has 0');
      expect(String(error)).toContain('http.createServer(app)');
      expect(String(error)).toContain('createProbeRouter(lameduck)');
    }
    const fine = await served(() => {});
    for (const probes of ['yes', 1, null, ['/readyz']]) {
      expect(codeOf(() => lameduck.attach(fine, { probes } as never))).toBe(ErrorCodes.INVALID_OPTION);
    }
    expect(codeOf(() => lameduck.attach(fine, { probes: { readinessPath: 'readyz' } }))).toBe(
      ErrorCodes.INVALID_OPTION,
    );
    // A preStop path anyone could call needs the token, as with the adapters' routes.
    expect(codeOf(() => lameduck.attach(fine, { probes: { preStopPath: '/prestop' } }))).toBe(
      ErrorCodes.PRESTOP_TOKEN_MISSING,
    );
    // None of the refused calls attached the server: it can be attached after all.
    expect(codeOf(() => lameduck.attach(fine, { probes: true }))).toBeUndefined();
    lameduck.dispose();
  });

  it("probe requests do not hold the adaptive drain delay open: they are not the app's traffic", async () => {
    const { lameduck } = createTestLameduck({
      drainDelayMs: 3000,
      drainDelayMinMs: 100,
      drainQuietMs: 200,
      drainTimeoutMs: 2000,
    });
    const app = recordingApp();
    const server = await served(app.handler);
    lameduck.attach(server, { probes: true });
    lameduck.ready();
    const client = clientOf(server);
    const started = Date.now();
    const closing = nextState(lameduck, 'closing');
    void lameduck.shutdown('test');
    let probes = 0;
    while (lameduck.state === 'draining' && Date.now() - started < 3000) {
      await request(client, '/readyz');
      probes += 1;
      await delay(20);
    }
    await closing;
    expect(probes).toBeGreaterThan(3);
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe('listen(lameduck, handler, { probes })', () => {
  it('serves the probes in front of the handler when asked, and leaves them to it by default', async () => {
    const { lameduck } = createTestLameduck();
    const probed = recordingApp();
    const server = await listenAttached(lameduck, probed.handler, {
      port: 0,
      host: '127.0.0.1',
      probes: true,
    });
    cleanups.push(() => closeServer(server));
    const plain = recordingApp();
    const other = await listenAttached(lameduck, plain.handler, { port: 0, host: '127.0.0.1' });
    cleanups.push(() => closeServer(other));
    expect((await request(clientOf(server), '/readyz')).status).toBe(200);
    expect(probed.seen).toEqual([]);
    expect((await request(clientOf(other), '/readyz')).text).toBe('app /readyz');
    lameduck.dispose();
  });
});

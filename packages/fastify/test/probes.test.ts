import * as http2 from 'node:http2';
import { getOnNewConnection } from '@lameduck/contract';
import { ErrorCodes } from '@lameduck/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { lameduck } from '../src/index.js';
import { closeApp, startApp } from './harness.js';

// Where the probes are answered: in front of Fastify on its server by default (no route, hook
// or request object of Fastify's), as Fastify routes with `probesInApp: true` (app.inject()
// reaches them), and as routes too where the server has a shape lameduck cannot stand in front of.

const quiet = { signals: false, summary: false, exit: () => {}, env: {} } as const;

/** The app's own hooks: every request without a token is refused, except probe routes it can tell apart. */
function guardEverything(app: FastifyInstance, seen: string[]): void {
  app.setReplySerializer(() => '"serialized by the app"');
  app.addHook('onRequest', async (request, reply) => {
    seen.push(request.url);
    if (request.routeOptions.config.lameduckProbe === undefined) await reply.code(401).send('no token');
  });
}

/** GET `path` over h2c; the status and body. */
async function h2cGet(origin: string, path: string): Promise<{ status: number; body: string }> {
  const session = http2.connect(origin);
  try {
    return await new Promise((resolve, reject) => {
      const stream = session.request({ ':path': path });
      let status = 0;
      let body = '';
      stream.on('response', (headers) => {
        status = Number(headers[':status']);
      });
      stream.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      });
      stream.on('end', () => resolve({ status, body }));
      stream.on('error', reject);
    });
  } finally {
    session.close();
  }
}

describe('@lameduck/fastify probes', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("by default answers them in front of Fastify: no route, and none of the app's hooks or serializers sees them", async () => {
    const seen: string[] = [];
    const { app, url } = await startApp({ ...quiet }, {}, (app) => guardEverything(app, seen));
    cleanups.push(() => closeApp(app));
    const readiness = await getOnNewConnection(url, '/readyz');
    expect(readiness.status).toBe(200);
    expect(JSON.parse(readiness.body)).toMatchObject({ status: 'ok', state: 'serving' });
    expect((await getOnNewConnection(url, '/livez')).status).toBe(200);
    expect((await getOnNewConnection(url, '/')).status).toBe(401);
    expect(seen).toEqual(['/']);
    expect(app.hasRoute({ method: 'GET', url: '/readyz' })).toBe(false);
    // app.inject() calls Fastify's handler without the server: the probe reaches the app.
    expect((await app.inject('/readyz')).statusCode).toBe(401);
    expect(seen).toEqual(['/', '/readyz']);
    // lameduck's listener stands in front of Fastify's, which still shows as the server's one.
    expect(app.server.listenerCount('request')).toBe(1);
    expect(app.server.rawListeners('request')[0]).not.toBe(app.server.listeners('request')[0]);
  });

  it('in front of Fastify on http2: true (h2c), and at the paths given', async () => {
    const app = Fastify({ http2: true }) as unknown as FastifyInstance;
    await app.register(lameduck, { ...quiet, readinessPath: '/health/ready', livenessPath: false });
    app.get('/', async () => 'ok');
    await app.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(async () => {
      app.lameduck.dispose();
      await app.close();
    });
    const origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const readiness = await h2cGet(origin, '/health/ready');
    expect(readiness.status).toBe(200);
    expect(JSON.parse(readiness.body)).toMatchObject({ status: 'ok' });
    expect((await h2cGet(origin, '/readyz')).status).toBe(404);
    expect((await h2cGet(origin, '/livez')).status).toBe(404);
    expect(app.hasRoute({ method: 'GET', url: '/health/ready' })).toBe(false);
  });

  it('probesInApp: true serves them as Fastify routes: app.inject() reaches them, tagged for the hooks', async () => {
    const seen: string[] = [];
    const { app, url } = await startApp({ ...quiet, probesInApp: true }, {}, (app) =>
      guardEverything(app, seen),
    );
    cleanups.push(() => closeApp(app));
    const readiness = await getOnNewConnection(url, '/readyz');
    expect(readiness.status).toBe(200);
    expect(JSON.parse(readiness.body)).toMatchObject({ status: 'ok', state: 'serving' });
    expect((await getOnNewConnection(url, '/')).status).toBe(401);
    expect(seen).toEqual(['/readyz', '/']);
    expect(app.hasRoute({ method: 'GET', url: '/readyz' })).toBe(true);
    expect(app.hasRoute({ method: 'HEAD', url: '/livez' })).toBe(true);
    expect((await app.inject('/readyz')).statusCode).toBe(200);
    expect((await app.inject('/livez')).statusCode).toBe(200);
  });

  it('app.inject() before listen(): 503 then, as before, with probesInApp', async () => {
    const app = Fastify();
    await app.register(lameduck, { ...quiet, probesInApp: true });
    await app.ready();
    cleanups.push(() => closeApp(app));
    expect((await app.inject('/readyz')).statusCode).toBe(503);
    expect((await app.inject('/livez')).statusCode).toBe(200);
  });

  it('a server with a second request listener of its own gets the probe routes instead, and works', async () => {
    const app = Fastify();
    const extra: string[] = [];
    app.server.on('request', (req: { url?: string }) => extra.push(req.url ?? ''));
    await app.register(lameduck, { ...quiet });
    app.get('/', async () => 'ok');
    await app.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => closeApp(app));
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    expect(app.hasRoute({ method: 'GET', url: '/readyz' })).toBe(true);
    expect((await getOnNewConnection(url, '/readyz')).status).toBe(200);
    expect((await getOnNewConnection(url, '/')).status).toBe(200);
    expect(extra).toEqual(['/readyz', '/']);
  });

  it('probesInApp takes true or false only (LAMEDUCK_INVALID_OPTION)', async () => {
    const app = Fastify();
    const error = await app.register(lameduck, { ...quiet, probesInApp: 'yes' as never }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toMatchObject({ code: ErrorCodes.INVALID_OPTION });
    expect(error?.message).toContain('probesInApp expects true or false, instead got a string ("yes")');
    await app.close().catch(() => undefined);
  });
});

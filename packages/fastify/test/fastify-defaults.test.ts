import { PassThrough } from 'node:stream';
import { getOnNewConnection, KeepAliveClient, sleep } from '@lameduck/contract';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeApp, startApp } from './harness.js';
import { RawKeepAliveSocket } from './raw-socket.js';

const ARRIVAL_MS = 250;

/** `/stream?ms=N` sends its headers (keep-alive) at once and ends the body N ms later. */
function addStreamRoute(app: FastifyInstance): void {
  app.get<{ Querystring: { ms?: string } }>('/stream', (request, reply) => {
    const body = new PassThrough();
    reply.header('content-type', 'text/plain').send(body);
    body.write('part ');
    setTimeout(() => body.end('done'), Number(request.query.ms ?? 100));
  });
}

describe("Fastify's defaults do not work against the drain", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('control: a drain delay in a preClose hook answers 503 to new traffic (return503OnClosing default)', async () => {
    const app = Fastify();
    app.get('/', async () => 'ok');
    app.addHook('preClose', () => sleep(800));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const closed = app.close();
    await sleep(100);
    const during = await getOnNewConnection(url, '/');
    await closed;
    expect(during.status).toBe(503);
  });

  for (const how of ['app.close()', 'lameduck.shutdown()'] as const) {
    it(`return503OnClosing: true answers no 503 during the drain delay (${how})`, async () => {
      const exit = vi.fn<(code: number) => void>();
      const { app, url } = await startApp(
        { drainDelayMs: 1000, signals: false, exit, summary: false },
        { return503OnClosing: true },
      );
      const client = new KeepAliveClient(url);
      cleanups.push(async () => {
        await client.close();
        await closeApp(app);
      });
      expect((await client.get('/')).status).toBe(200);
      const inFlight = client.get('/slow?ms=600');
      await sleep(ARRIVAL_MS);

      const draining = new Promise((resolve) => app.lameduck.once('draining', resolve));
      const closed = how === 'app.close()' ? app.close() : app.lameduck.shutdown('test');
      await draining;
      const during = await Promise.all(Array.from({ length: 10 }, () => getOnNewConnection(url, '/')));
      const readiness = await getOnNewConnection(url, '/readyz');
      const slow = await inFlight;
      expect(app.lameduck.state).toBe('draining');

      for (const answer of during)
        expect(answer).toMatchObject({ status: 200, body: 'ok', connection: 'close' });
      expect(slow).toMatchObject({ status: 200, body: 'slow', connection: 'close' });
      expect(readiness.status).toBe(503);
      await closed;
      const result = await app.lameduck.shutdown();
      expect(result).toMatchObject({ exitCode: 0, socketsDestroyed: 0 });
      expect(result.requestsDuringDrain).toBeGreaterThanOrEqual(11);
    });
  }

  /** A keep-alive response whose headers went out before the close; then its socket goes idle. */
  async function closeDuringStream(app: FastifyInstance, url: string, close: () => Promise<unknown>) {
    const socket = new RawKeepAliveSocket(url);
    cleanups.push(async () => {
      socket.destroy();
      if (app.hasDecorator('lameduck')) await closeApp(app);
      else await app.close();
    });
    const streamed = socket.get('/stream?ms=800');
    await sleep(ARRIVAL_MS);
    const startedAt = Date.now();
    await close();
    const closedAt = Date.now();
    const answer = await streamed;
    return { closeMs: closedAt - startedAt, answer, socket };
  }

  it('control: without lameduck, a socket that goes idle during close() holds it for keepAliveTimeout', async () => {
    const app = Fastify({ keepAliveTimeout: 3000 });
    addStreamRoute(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const { closeMs, answer, socket } = await closeDuringStream(app, url, () => app.close());
    expect(answer.head).toMatch(/^http\/1.1 200/);
    expect(answer.head).toContain('connection: keep-alive');
    // The response ended ~550 ms into close(); close() then waited for the keep-alive timeout.
    expect(closeMs).toBeGreaterThanOrEqual(3000);
    await sleep(50);
    expect(socket.closedAt).toBeGreaterThanOrEqual(answer.endedAt + 2900);
  });

  for (const how of ['app.close()', 'lameduck.shutdown()'] as const) {
    it(`with lameduck, that socket closes as soon as its response ends, keepAliveTimeout 72 s (${how})`, async () => {
      const exit = vi.fn<(code: number) => void>();
      const { app, url } = await startApp(
        { drainDelayMs: 0, signals: false, exit, summary: false },
        { keepAliveTimeout: 72_000 },
        addStreamRoute,
      );
      const close = how === 'app.close()' ? () => app.close() : () => app.lameduck.shutdown('test');
      const { closeMs, answer, socket } = await closeDuringStream(app, url, close);
      expect(answer.head).toMatch(/^http\/1.1 200/);
      expect(answer.head).toContain('connection: keep-alive');
      expect(closeMs).toBeGreaterThanOrEqual(800 - ARRIVAL_MS - 50);
      expect(closeMs).toBeLessThan(5000);
      await sleep(50);
      expect(socket.closedAt).toBeDefined();
      expect((socket.closedAt ?? Infinity) - answer.endedAt).toBeLessThan(1000);
      const result = await app.lameduck.shutdown();
      expect(result).toMatchObject({ exitCode: 0, socketsDestroyed: 0 });
    });
  }
});

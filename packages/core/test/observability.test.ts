import * as diagnostics from 'node:diagnostics_channel';
import type * as http from 'node:http';
import { Client, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNEL_NAMES, createProbeRouter } from '../src/index.js';
import {
  closeServer,
  createTestLameduck,
  delay,
  gate,
  type Handler,
  listen,
  originOf,
} from './support/harness.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(handler: Handler): Promise<http.Server> {
  const s = await listen(handler);
  cleanups.push(() => closeServer(s));
  return s;
}

describe('diagnostics_channel', () => {
  it('the channel names are the documented, stable ones', () => {
    expect(CHANNEL_NAMES).toEqual({
      state: 'lameduck:state',
      drainDelayEnd: 'lameduck:drain-delay:end',
      listenerClosed: 'lameduck:listener:closed',
      connectionClosed: 'lameduck:connection:closed',
      connectionDestroyed: 'lameduck:connection:destroyed',
      drainRequest: 'lameduck:request:draining',
      hookStart: 'lameduck:hook:start',
      hookEnd: 'lameduck:hook:end',
      stopped: 'lameduck:stopped',
    });
  });

  it('a subscriber sees the whole sequence, in order, each message naming the instance', async () => {
    const { lameduck } = createTestLameduck({ drainDelayMs: 200, exitOnStopped: false });
    const answer = gate();
    const s = await server((req, res) => {
      if (req.url === '/slow') void answer.promise.then(() => res.end('slow'));
      else res.end('ok');
    });
    lameduck.attach(s);
    lameduck.onShutdown('db', () => undefined);
    const seen: string[] = [];
    const messages: Array<Record<string, unknown>> = [];
    const subscriptions = Object.values(CHANNEL_NAMES).map((name) => {
      const onMessage = (message: unknown) => {
        const m = message as Record<string, unknown>;
        messages.push(m);
        const detail =
          name === CHANNEL_NAMES.state
            ? `:${String(m.state)}`
            : name === CHANNEL_NAMES.drainDelayEnd
              ? `:${String(m.endedBy)}`
              : name === CHANNEL_NAMES.hookStart || name === CHANNEL_NAMES.hookEnd
                ? `:${String(m.name)}`
                : name === CHANNEL_NAMES.listenerClosed
                  ? `:${String(m.role)}`
                  : '';
        seen.push(`${name}${detail}`);
      };
      diagnostics.subscribe(name, onMessage);
      return () => diagnostics.unsubscribe(name, onMessage);
    });
    cleanups.push(() => {
      for (const unsubscribe of subscriptions) unsubscribe();
    });
    const client = new Client(originOf(s));
    cleanups.push(() => client.destroy().catch(() => {}));
    const slow = client.request({ path: '/slow', method: 'GET' }).then((r) => r.body.text());
    await delay(50);
    const result = lameduck.shutdown('test');
    await delay(50);
    // A request during the drain delay, on a new connection.
    const during = await request(`${originOf(s)}/during`, { reset: true });
    await during.body.text();
    lameduck.once('closing', () => setTimeout(answer.open, 50));
    await result;
    expect(await slow).toBe('slow');
    expect(seen).toEqual([
      'lameduck:state:draining',
      'lameduck:request:draining',
      'lameduck:connection:closed',
      'lameduck:drain-delay:end:maximum',
      'lameduck:state:closing',
      'lameduck:listener:closed:app',
      'lameduck:connection:closed',
      'lameduck:state:cleanup',
      'lameduck:hook:start:db',
      'lameduck:hook:end:db',
      'lameduck:state:stopped',
      'lameduck:stopped',
    ]);
    for (const message of messages) expect(message.lameduck).toBe(lameduck);
    const stopped = messages.at(-1) as { result: { exitCode: number } };
    expect(stopped.result.exitCode).toBe(0);
  });

  it('with no subscriber, no channel has subscribers (nothing is built or published)', async () => {
    const { lameduck } = createTestLameduck({ drainDelayMs: 0, exitOnStopped: false });
    for (const name of Object.values(CHANNEL_NAMES))
      expect(diagnostics.channel(name).hasSubscribers).toBe(false);
    await lameduck.shutdown('test');
  });
});

describe('stats()', () => {
  it('state, requests in flight, open connections by kind and the counts so far', async () => {
    const { lameduck } = createTestLameduck({ drainDelayMs: 300, exitOnStopped: false });
    const answer = gate();
    const s = await server((_req, res) => void answer.promise.then(() => res.end('ok')));
    lameduck.attach(s);
    expect(lameduck.stats()).toMatchObject({ state: 'serving', inFlight: 0, open: { http: 0 } });
    const client = new Client(originOf(s));
    cleanups.push(() => client.destroy().catch(() => {}));
    const pending = client.request({ path: '/', method: 'GET' }).then((r) => r.body.text());
    await delay(50);
    expect(lameduck.stats()).toMatchObject({ state: 'serving', inFlight: 1, open: { http: 1, admin: 0 } });
    const result = lameduck.shutdown('test');
    await delay(20);
    expect(lameduck.stats()).toMatchObject({ state: 'draining', inFlight: 1, requestsDuringDrain: 0 });
    answer.open();
    await pending;
    await result;
    expect(lameduck.stats()).toMatchObject({
      state: 'stopped',
      inFlight: 0,
      open: { http: 0, admin: 0, h2Sessions: 0, webSockets: 0 },
      socketsClosed: 1,
      socketsDestroyed: 0,
    });
  });
});

describe("attach(server, { role: 'admin' })", () => {
  it('the admin server is scraped successfully during the whole drain of the app server, and closes last', async () => {
    const { lameduck } = createTestLameduck({
      drainDelayMs: 300,
      drainTimeoutMs: 5000,
      exitOnStopped: false,
    });
    const appServer = await server((req, res) => {
      if (req.url === '/slow') setTimeout(() => res.end('slow'), 1200);
      else res.end('app');
    });
    const probes = createProbeRouter(lameduck, { adminOnly: true });
    const adminServer = await server((req, res) => {
      if (!probes(req, res)) res.end(JSON.stringify(lameduck.stats()));
    });
    lameduck.attach(appServer);
    lameduck.attach(adminServer, { role: 'admin' });
    const slow = request(`${originOf(appServer)}/slow`).then((r) => r.body.text());
    await delay(50);
    // A Prometheus-like scraper on a keep-alive connection, every 50 ms, until the sequence stops.
    const scraper = new Client(originOf(adminServer), { pipelining: 1 });
    cleanups.push(() => scraper.destroy().catch(() => {}));
    const scrapes: Array<{ status: number; state: string; at: number }> = [];
    let stopped = false;
    const startedAt = Date.now();
    const scraping = (async () => {
      while (!stopped) {
        const metrics = await scraper.request({ path: '/metrics', method: 'GET' });
        const body = JSON.parse(await metrics.body.text()) as { state: string };
        const readiness = await scraper.request({ path: '/readyz', method: 'GET' });
        await readiness.body.text();
        scrapes.push({ status: metrics.statusCode, state: body.state, at: Date.now() - startedAt });
        if (body.state !== 'serving') expect(readiness.statusCode).toBe(503);
        await delay(50);
      }
    })();
    const result = await lameduck.shutdown('test');
    stopped = true;
    await scraping.catch(() => undefined);
    expect(await slow).toBe('slow');
    // Scraped all through draining and closing: while the slow request was in flight too.
    const states = new Set(scrapes.map((scrape) => scrape.state));
    expect(states.has('draining')).toBe(true);
    expect(states.has('closing')).toBe(true);
    expect(scrapes.every((scrape) => scrape.status === 200)).toBe(true);
    const closingScrapes = scrapes.filter((scrape) => scrape.state === 'closing');
    expect(closingScrapes.length).toBeGreaterThanOrEqual(5);
    const [app, admin] = result.servers;
    expect(app?.role).toBe('app');
    expect(admin?.role).toBe('admin');
    // The admin listener closed only after the app server had drained (slow request ~1.2 s).
    expect(admin?.listenerClosedAtMs ?? 0).toBeGreaterThanOrEqual((app?.listenerClosedAtMs ?? 0) + 800);
    expect(admin?.requestsDuringDrain).toBeGreaterThan(0);
    expect(app?.requestsDuringDrain).toBe(0);
    expect(result.exitCode).toBe(0);
    expect(result.socketsDestroyed).toBe(0);
  });
});

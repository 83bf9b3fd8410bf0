import { once } from 'node:events';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { Client } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { drainUnderH2Load, expectCleanH2Drain } from './support/h2-drain.js';
import { type H2LoadCounts, startH2Load } from './support/h2-load.js';
import { startRelay } from './support/h2-relay.js';
import { createTestLameduck, delay, gate, nextState, portOf } from './support/harness.js';
import { selfSignedCertificate } from './support/self-signed.js';

const MAX_STREAM_ID = 2 ** 31 - 1;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type H2Server = http2.Http2Server | http2.Http2SecureServer;
type Handler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;

/** `/` answers at once, `/slow?ms=N` after N ms. */
const app: Handler = (req, res) => {
  const url = new URL(req.url, 'http://h2');
  if (url.pathname === '/slow') setTimeout(() => res.end('slow'), Number(url.searchParams.get('ms') ?? 50));
  else res.end('ok');
};

const { key, cert } = selfSignedCertificate();
const kinds = {
  h2c: () => http2.createServer(),
  h2: () => http2.createSecureServer({ key, cert }),
  'h2 with allowHTTP1': () => http2.createSecureServer({ key, cert, allowHTTP1: true }),
} satisfies Record<string, () => H2Server>;
type Kind = keyof typeof kinds;

async function serve(kind: Kind, handler: Handler = app): Promise<{ server: H2Server; origin: string }> {
  const server = kinds[kind]();
  server.on('request', handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => {
    for (const session of sessions) session.destroy();
    if (server.listening) server.close();
  });
  return { server, origin: `${kind === 'h2c' ? 'http' : 'https'}://127.0.0.1:${portOf(server)}` };
}

function connectError(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

describe('HTTP/2 servers drain with a two-step GOAWAY', () => {
  it.each(Object.keys(kinds) as Kind[])(
    '%s under steady stream load: no stream fails, every session goes away, exit 0 within the drain delay + 1.5 s',
    async (kind) => {
      const replica = await serve(kind);
      const other = await serve(kind);
      const { lameduck, exits } = createTestLameduck({ drainDelayMs: 600, drainTimeoutMs: 3000 });
      lameduck.attach(replica.server);
      const outcome = await drainUnderH2Load({
        replica: replica.origin,
        other: other.origin,
        ca: cert,
        drainDelayMs: 600,
        shutdown: () => lameduck.shutdown('test'),
      });
      expectCleanH2Drain(kind, outcome, 600);
      expect(exits).toEqual([0]);
    },
  );

  it('a stream in flight when the listener closes finishes; no Connection header; then new connections are refused', async () => {
    const release = gate();
    const { server, origin } = await serve('h2c', (req, res) => {
      if (req.url === '/held') void release.promise.then(() => res.end('held'));
      else res.end('ok');
    });
    const { lameduck } = createTestLameduck({ drainDelayMs: 100, drainTimeoutMs: 3000 });
    lameduck.attach(server);
    const port = portOf(server);
    const session = http2.connect(origin);
    cleanups.push(() => session.destroy());
    const goaways: number[] = [];
    session.on('goaway', (_code, last) => goaways.push(last));
    const stream = session.request({ ':path': '/held' });
    let headers: http2.IncomingHttpHeaders = {};
    stream.on('response', (received) => {
      headers = received;
    });
    await once(server, 'request');
    const result = lameduck.shutdown('test');
    await nextState(lameduck, 'closing');
    expect(await connectError(port)).toBe('ECONNREFUSED');
    release.open();
    let body = '';
    stream.setEncoding('utf8').on('data', (chunk: string) => {
      body += chunk;
    });
    await once(stream, 'close');
    expect(body).toBe('held');
    expect(stream.rstCode).toBe(0);
    expect(headers[':status']).toBe(200);
    expect(headers.connection).toBeUndefined();
    // The first GOAWAY refuses nothing; the final one (sent again by session.close()) names stream 1.
    expect(goaways[0]).toBe(MAX_STREAM_ID);
    expect(new Set(goaways.slice(1))).toEqual(new Set([1]));
    expect(await result).toMatchObject({ exitCode: 0, sessionsClosed: 1, sessionsDestroyed: 0 });
  });

  it('a session still busy at the drain timeout is destroyed and counted; exit code 1', async () => {
    const { server, origin } = await serve('h2c', () => {
      // Never answers.
    });
    const { lameduck, exits } = createTestLameduck({ drainDelayMs: 0, drainTimeoutMs: 400 });
    lameduck.attach(server);
    const session = http2.connect(origin);
    session.on('error', () => {});
    cleanups.push(() => session.destroy());
    const stream = session.request({ ':path': '/never' });
    stream.on('error', () => {});
    await once(server, 'request');
    const result = await lameduck.shutdown('test');
    expect(result).toMatchObject({ exitCode: 1, sessionsClosed: 0, sessionsDestroyed: 1 });
    expect(exits).toEqual([1]);
    await once(stream, 'close');
    expect(stream.rstCode).not.toBe(0);
  });

  it('the HTTP/1.1 side of an allowHTTP1 server drains as today: Connection: close, then the socket closes', async () => {
    const { server, origin } = await serve('h2 with allowHTTP1');
    const { lameduck } = createTestLameduck({ drainDelayMs: 200, drainTimeoutMs: 2000 });
    lameduck.attach(server);
    const client = new Client(origin, { connect: { ca: cert }, keepAliveTimeout: 30_000 });
    cleanups.push(() => client.destroy().catch(() => {}));
    const before = await client.request({ path: '/', method: 'GET' });
    expect(before.headers.connection).toBe('keep-alive');
    await before.body.text();
    const result = lameduck.shutdown('test');
    const during = await client.request({ path: '/', method: 'GET' });
    expect(during.statusCode).toBe(200);
    expect(during.headers.connection).toBe('close');
    expect(await during.body.text()).toBe('ok');
    expect(await result).toMatchObject({ exitCode: 0, socketsClosed: 1, socketsDestroyed: 0 });
  });
});

describe('controls: what the two-step GOAWAY prevents', () => {
  type Drain = 'lameduck' | 'a single immediate session.goaway()' | 'plain server.close()';

  /**
   * One busy session through a relay with a 15 ms delay each way, a stream every 3 ms (each
   * 40 ms long), then the drain starts the way `drain` says; new sessions go to the other
   * replica. Returns the streams the client sent before it saw a GOAWAY (read by the relay) that
   * were refused anyway, the streams both processed by the server and refused, and how the drain
   * ended.
   */
  async function drainBusySession(drain: Drain) {
    const served = new Set<number>();
    const replica = await serve('h2c', (req, res) => {
      served.add(req.stream.id ?? 0);
      setTimeout(() => res.end('slow'), 40);
    });
    const other = await serve('h2c');
    const relay = await startRelay(portOf(replica.server), 15);
    cleanups.push(() => relay.close());
    const sessions = new Set<http2.ServerHttp2Session>();
    replica.server.on('session', (session) => sessions.add(session));
    const { lameduck } = createTestLameduck({ drainDelayMs: 0, drainTimeoutMs: 1500 });
    if (drain === 'lameduck') lameduck.attach(replica.server);
    let first = true;
    const load = startH2Load({
      origin: () => {
        const origin = first ? relay.origin : other.origin;
        first = false;
        return origin;
      },
      sessions: 1,
      intervalMs: 3,
      path: () => '/slow',
    });
    cleanups.push(() => load.stop());
    await delay(150);
    const startedAt = Date.now();
    let drained: Promise<unknown>;
    if (drain === 'lameduck') drained = lameduck.shutdown('test');
    else {
      drained = once(replica.server, 'close');
      if (drain === 'plain server.close()') replica.server.close();
      else {
        for (const session of sessions) session.goaway(http2.constants.NGHTTP2_NO_ERROR);
        for (const session of sessions) session.close();
        replica.server.close();
      }
    }
    const endedInTime = await Promise.race([drained.then(() => true), delay(1500).then(() => false)]);
    const drainMs = Date.now() - startedAt;
    const counts = await load.stop();
    const refusedIds = counts.refused.filter(([origin]) => origin === relay.origin).map(([, id]) => id);
    return {
      counts,
      endedInTime,
      drainMs,
      refusedAfterSending: refusedIds.filter((id) => relay.sentBeforeGoaway.has(id)).length,
      refusedAfterProcessing: refusedIds.filter((id) => served.has(id)).length,
    };
  }

  it('lameduck: no stream fails, none is both processed and refused, the session ends at once', async () => {
    const outcome = await drainBusySession('lameduck');
    console.info(`two-step GOAWAY (lameduck) on node ${process.version}:`, JSON.stringify(summary(outcome)));
    expect(outcome.counts.failures).toEqual([]);
    expect(outcome.refusedAfterProcessing).toBe(0);
    expect(outcome.endedInTime).toBe(true);
    // Once node's server session sent a GOAWAY, nghttp2 ignores new streams (checked on Node 20
    // and 24): streams still on the wire then are refused, as retryable, by the final one.
    expect(outcome.counts.retried).toBeGreaterThanOrEqual(outcome.refusedAfterSending);
  });

  it('control: a single immediate session.goaway() refuses streams the client had already sent', async () => {
    const outcome = await drainBusySession('a single immediate session.goaway()');
    console.info(`single GOAWAY on node ${process.version}:`, JSON.stringify(summary(outcome)));
    expect(outcome.refusedAfterSending).toBeGreaterThan(0);
    expect(outcome.refusedAfterProcessing).toBe(0);
  });

  it('control: plain server.close() never ends the busy session (Node < 24) or refuses sent streams (Node >= 24)', async () => {
    const outcome = await drainBusySession('plain server.close()');
    console.info(`plain server.close() on node ${process.version}:`, JSON.stringify(summary(outcome)));
    if (Number(process.versions.node.split('.')[0]) < 24) expect(outcome.endedInTime).toBe(false);
    else expect(outcome.refusedAfterSending).toBeGreaterThan(0);
  });
});

function summary(outcome: {
  counts: H2LoadCounts;
  endedInTime: boolean;
  drainMs: number;
  refusedAfterSending: number;
  refusedAfterProcessing: number;
}) {
  const { counts, ...rest } = outcome;
  return { ok: counts.ok, retried: counts.retried, failed: counts.failed, ...rest };
}

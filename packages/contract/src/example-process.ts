import { expect, it } from 'vitest';
import { type Answer, getOnNewConnection, KeepAliveClient, sleep } from './client.js';
import { openEventStream, openWebSocket, parseEndedStream } from './long-lived.js';
import type { ServerProcess } from './process.js';

/** The fields of the core's summary log line that the example suites look at. */
export interface ExampleSummary {
  readonly exitCode: number;
  readonly totalMs: number;
  readonly requestsDuringDrain: number;
  readonly webSocketsClosed: number;
  readonly webSocketsTerminated: number;
  readonly streamsEnded: number;
  readonly phases: Record<string, number>;
  readonly hooks: { name: string; ok: boolean; durationMs: number }[];
}

/** The JSON log lines a child printed on stderr. */
export function logLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((entry) => entry.startsWith('{'))
    .map((entry) => JSON.parse(entry) as Record<string, unknown>);
}

/** The summary the core logged at exit; throws with the whole stderr when there is none. */
export function summaryOf(stderr: string): ExampleSummary {
  const line = logLines(stderr).find((entry) => entry.summary !== undefined);
  if (line === undefined) throw new Error(`no summary line in stderr:\n${stderr}`);
  return line.summary as ExampleSummary;
}

/** Polls the readiness probe on new connections until it answers `status` (at most ~2 s). */
export async function waitForReadiness(url: string, status: number): Promise<boolean> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if ((await getOnNewConnection(url, '/readyz')).status === status) return true;
    await sleep(20);
  }
  return false;
}

/**
 * One example service started as a real process. Every example serves `GET /` (`{ hello }`),
 * `POST /` (echoes its JSON body),
 * `GET /slow?ms=N` (`{ waitedMs }`, 400 on a bad N), `/readyz`, `/livez`, 404 elsewhere, runs
 * with `LAMEDUCK_DRAIN_DELAY_MS=500`, and has one cleanup step of ~100 ms (its database pool).
 */
export interface ExampleServer {
  /** Prefix of the timing lines the suite prints, e.g. `example-express`. */
  readonly label: string;
  /** Starts the example (`startServerProcess(file, { env })`). */
  readonly start: () => Promise<ServerProcess>;
  /** The test names, where an example words them its own way. */
  readonly titles: { readonly routes: string; readonly inFlight: string; readonly idle: string };
  /** Checks what the example printed on stdout once it listens. */
  readonly checkStdout: (server: ServerProcess) => void;
  /** Checks the readiness answer while serving, beyond its 200. */
  readonly checkReadiness?: (answer: Answer) => void;
  /** More checks once the routes were hit (the client is closed). */
  readonly afterRoutes?: (server: ServerProcess) => void;
  /** Slow requests in flight at SIGTERM, one keep-alive client each. @default 1 */
  readonly slowRequests?: number;
  /** Requests on new connections during the drain delay, sent at once. @default 1 */
  readonly requestsDuringDelay?: number;
  /** Checks the summary of the SIGTERM-in-flight run, beyond exit code 0 and the delay. */
  readonly checkSummary: (summary: ExampleSummary) => void;
}

/**
 * The process-level tests every example passes: its routes and probes, SIGTERM with slow
 * requests in flight (served to the end with `Connection: close`, exit 0 by itself), and
 * SIGTERM when idle. Call it inside a `describe` with `afterEach(killServerProcesses)`.
 */
export function testExampleServer(example: ExampleServer): void {
  const { label, start, titles } = example;
  const slowRequests = example.slowRequests ?? 1;
  const requestsDuringDelay = example.requestsDuringDelay ?? 1;

  it(titles.routes, async () => {
    const server = await start();
    example.checkStdout(server);
    const client = new KeepAliveClient(server.url);
    try {
      const root = await client.get('/');
      expect(root.status).toBe(200);
      expect(JSON.parse(root.body)).toMatchObject({ hello: 'world' });
      // POST / echoes the JSON it got (the simulator's --method POST relies on it).
      const sent = { order: 42, items: ['a', 'b'], note: 'héllo' };
      const echoed = await fetch(`${server.url}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(sent),
      });
      expect(echoed.status).toBe(200);
      expect(await echoed.json()).toEqual(sent);
      const startedAt = Date.now();
      expect(JSON.parse((await client.get('/slow?ms=300')).body)).toEqual({ waitedMs: 300 });
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(280);
      expect((await client.get('/slow?ms=nope')).status).toBe(400);
      const ready = await client.get('/readyz');
      expect(ready.status).toBe(200);
      example.checkReadiness?.(ready);
      expect((await client.get('/livez')).status).toBe(200);
      expect((await client.get('/missing')).status).toBe(404);
    } finally {
      await client.close();
    }
    example.afterRoutes?.(server);
  });

  it(titles.inFlight, async () => {
    const server = await start();
    const clients = Array.from({ length: slowRequests }, () => new KeepAliveClient(server.url));
    try {
      const inFlight = clients.map((client) => client.get('/slow?ms=1500'));
      await sleep(250);
      const signalledAt = server.signal('SIGTERM');

      // During the drain delay: readiness fails, new connections are served and told to close.
      expect(await waitForReadiness(server.url, 503)).toBe(true);
      const during = await Promise.all(
        Array.from({ length: requestsDuringDelay }, () => getOnNewConnection(server.url, '/')),
      );
      for (const answer of during) expect(answer).toMatchObject({ status: 200, connection: 'close' });
      expect((await getOnNewConnection(server.url, '/livez')).status).toBe(200);

      const answers = await Promise.all(inFlight);
      for (const slow of answers) {
        expect(slow).toMatchObject({ status: 200, connection: 'close' });
        expect(JSON.parse(slow.body)).toEqual({ waitedMs: 1500 });
      }

      const exit = await server.exited;
      expect([exit.code, exit.signal]).toEqual([0, null]);
      const exitMs = exit.at - signalledAt;
      // The slow requests had ~1250 ms left; the cleanup step (database pool) takes 100 ms.
      expect(exitMs).toBeGreaterThanOrEqual(1300);
      expect(exitMs).toBeLessThan(10_000);
      const summary = summaryOf(server.stderr());
      expect(summary.exitCode).toBe(0);
      expect(summary.phases.draining).toBeGreaterThanOrEqual(490);
      example.checkSummary(summary);
      console.info(
        `${label}: ${answers.length}/${slowRequests} in-flight answered, SIGTERM → exit ${exitMs} ms`,
        JSON.stringify(summary.phases),
      );
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  });

  it('serves an echo WebSocket at /ws and an SSE stream at /events; SIGTERM: each WebSocket gets 1001, each stream retry: and a clean end, exit 0', async () => {
    const server = await start();
    const sockets = await Promise.all(Array.from({ length: 3 }, () => openWebSocket(server.url)));
    const streams = await Promise.all(Array.from({ length: 2 }, () => openEventStream(server.url)));
    try {
      for (const ws of sockets) expect(await ws.echo('hello')).toBe('hello');
      await sleep(450);
      for (const stream of streams) {
        expect(stream.status).toBe(200);
        expect(stream.text()).toMatch(/^data: /m);
      }
      const signalledAt = server.signal('SIGTERM');
      const closes = await Promise.all(sockets.map((ws) => ws.closed));
      expect(closes.map((close) => close.code)).toEqual([1001, 1001, 1001]);
      for (const stream of streams) {
        expect((await stream.ended).how).toBe('end');
        expect(parseEndedStream(stream.text()).retry).toBeGreaterThanOrEqual(0);
      }
      const exit = await server.exited;
      expect([exit.code, exit.signal]).toEqual([0, null]);
      // Drain delay 500 ms + close window (1 s by default) + cleanup, with room for a busy machine.
      expect(exit.at - signalledAt).toBeLessThan(500 + 1000 + 2500);
      const summary = summaryOf(server.stderr());
      expect(summary).toMatchObject({
        exitCode: 0,
        webSocketsClosed: 3,
        webSocketsTerminated: 0,
        streamsEnded: 2,
      });
      console.info(
        `${label}: 3 WebSockets 1001, 2 SSE streams ended, SIGTERM → exit ${exit.at - signalledAt} ms`,
      );
    } finally {
      for (const ws of sockets) ws.ws.terminate();
      for (const stream of streams) stream.close();
    }
  });

  it(titles.idle, async () => {
    const server = await start();
    const client = new KeepAliveClient(server.url);
    expect((await client.get('/')).status).toBe(200);
    const signalledAt = server.signal('SIGTERM');
    const exit = await server.exited;
    await client.close();
    expect([exit.code, exit.signal]).toEqual([0, null]);
    const exitMs = exit.at - signalledAt;
    expect(exitMs).toBeGreaterThanOrEqual(590);
    expect(exitMs).toBeLessThan(8000);
    console.info(`${label}: idle SIGTERM → exit ${exitMs} ms`);
  });
}

import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { openEventStream, openWebSocket, parseEndedStream } from '@lameduck/contract';
import { Client, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';

const serverFile = fileURLToPath(new URL('../server.js', import.meta.url));
const DRAIN_DELAY_MS = 600;
const children = new Set<ChildProcess>();

afterEach(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
});

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
  readonly firstLine: unknown;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** `node server.js` with PORT=0; resolves once it printed its listening line. */
async function start(extraEnv: Record<string, string> = {}): Promise<Started> {
  const child = spawn(process.execPath, [serverFile], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      LAMEDUCK_DRAIN_DELAY_MS: String(DRAIN_DELAY_MS),
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  children.add(child);
  const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, at: performance.now() });
    }),
  );
  const firstLine = await new Promise<string>((resolve) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  const parsed = JSON.parse(firstLine) as { port: number };
  return { child, url: `http://127.0.0.1:${parsed.port}`, firstLine: parsed, exited };
}

/** One GET on a new connection. */
async function get(url: string, path: string, headers: Record<string, string> = {}) {
  const response = await request(`${url}${path}`, { reset: true, headers });
  const body = await response.body.text();
  return { status: response.statusCode, connection: response.headers.connection, body };
}

describe('node examples/node-http/server.js', () => {
  it('/ws echoes and /events streams; SIGTERM: each WebSocket gets 1001 and each stream retry: and a clean end, exit 0', async () => {
    const server = await start();
    const sockets = await Promise.all(Array.from({ length: 3 }, () => openWebSocket(server.url)));
    const stream = await openEventStream(server.url);
    try {
      for (const ws of sockets) expect(await ws.echo('hello')).toBe('hello');
      expect(stream.contentType).toBe('text/event-stream');
      server.child.kill('SIGTERM');
      expect((await Promise.all(sockets.map((ws) => ws.closed))).map((close) => close.code)).toEqual([
        1001, 1001, 1001,
      ]);
      expect((await stream.ended).how).toBe('end');
      const { events, retry } = parseEndedStream(stream.text());
      expect(events.length).toBeGreaterThan(0);
      expect(retry).toBeGreaterThanOrEqual(0);
      expect((await server.exited).code).toBe(0);
    } finally {
      for (const ws of sockets) ws.ws.terminate();
      stream.close();
    }
  });

  it('prints the listening line and answers /, POST / (echo), /slow, the probes and 404', async () => {
    const server = await start();
    expect(server.firstLine).toEqual({ msg: 'listening', port: Number(new URL(server.url).port) });
    expect((await get(server.url, '/')).status).toBe(200);
    const sent = { order: 42, items: ['a', 'b'], note: 'héllo' };
    const echoed = await fetch(`${server.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(sent),
    });
    expect(echoed.status).toBe(200);
    expect(await echoed.json()).toEqual(sent);
    const startedAt = performance.now();
    expect(JSON.parse((await get(server.url, '/slow?ms=200')).body)).toMatchObject({ slept: 200 });
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(190);
    expect((await get(server.url, '/readyz')).status).toBe(200);
    expect((await get(server.url, '/livez')).status).toBe(200);
    expect((await get(server.url, '/nope')).status).toBe(404);
  });

  it('SIGTERM: readiness fails, new connections are still served, the slow request finishes, exit 0', async () => {
    const server = await start();
    const client = new Client(server.url);
    try {
      const slow = client.request({ path: '/slow?ms=1000', method: 'GET' });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const signalledAt = performance.now();
      server.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await get(server.url, '/readyz')).status).toBe(503);
      expect((await get(server.url, '/livez')).status).toBe(200);
      expect((await get(server.url, '/')).status).toBe(200);
      const response = await slow;
      expect(response.statusCode).toBe(200);
      expect(response.headers.connection).toBe('close');
      await response.body.text();
      const exit = await server.exited;
      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(exit.at - signalledAt).toBeGreaterThanOrEqual(DRAIN_DELAY_MS);
    } finally {
      await client.destroy();
    }
  });

  it('GET /prestop without LAMEDUCK_PRESTOP_TOKEN is not served (404), and the pod keeps serving', async () => {
    const server = await start();
    expect((await get(server.url, '/prestop')).status).toBe(404);
    expect((await get(server.url, '/readyz')).status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await server.exited).toMatchObject({ code: 0, signal: null });
  });

  it('GET /prestop with the token starts the drain and answers after the drain delay; without it: 401', async () => {
    const server = await start({ LAMEDUCK_PRESTOP_TOKEN: 'example-token' });
    const stranger = await get(server.url, '/prestop');
    expect(stranger.status).toBe(401);
    expect((await get(server.url, '/readyz')).status).toBe(200);
    const startedAt = performance.now();
    const hook = await get(server.url, '/prestop', { authorization: 'Bearer example-token' });
    expect(hook.status).toBe(200);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(DRAIN_DELAY_MS - 20);
    const exit = await server.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
  });
});

import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getOnNewConnection, KeepAliveClient, sleep } from '@lameduck/contract';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runLoad } from './load.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/signal-app.mjs', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const HARD_TIMEOUT_MS = 20_000;

interface Running {
  child: ChildProcess;
  url: string;
  stdout: string[];
  stderr: () => string;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

const children: ChildProcess[] = [];

/** Forks the fixture (plain node, no shell) with a SIGKILL guard, and waits for its port. */
async function startChild(env: Record<string, string>): Promise<Running> {
  const child = fork(FIXTURE, [], {
    env: { ...process.env, VITEST: '', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  children.push(child);
  const guard = setTimeout(() => child.kill('SIGKILL'), HARD_TIMEOUT_MS);
  const stdout: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(...chunk.toString().split('\n').filter(Boolean)));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('exit', (code, signal) => {
      clearTimeout(guard);
      resolve([code, signal]);
    }),
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message: { port: number }) => resolve(message.port));
    child.once('exit', (code) => reject(new Error(`fixture exited with ${code} before it was ready`)));
  });
  return { child, url: `http://127.0.0.1:${port}`, stdout, stderr: () => stderr, exited };
}

describe('real signals (child process)', () => {
  beforeAll(() => {
    if (!existsSync(DIST))
      throw new Error('packages/fastify/dist is missing: run `npx tsup` in packages/fastify first');
  });
  afterEach(() => {
    for (const child of children.splice(0))
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('SIGTERM with a slow request in flight: traffic served through the delay, onClose after the drain, exit 0', async () => {
    const { child, url, stdout, exited } = await startChild({ LAMEDUCK_DRAIN_DELAY_MS: '800' });
    const client = new KeepAliveClient(url);
    expect((await client.get('/')).status).toBe(200);
    const slow = client.get('/slow?ms=1500');
    await sleep(250);
    const signalledAt = Date.now();
    child.kill('SIGTERM');
    await sleep(100);
    const during = await Promise.all(Array.from({ length: 5 }, () => getOnNewConnection(url, '/')));
    const readiness = await getOnNewConnection(url, '/readyz');
    const answer = await slow;
    const [code, signal] = await exited;
    const exitMs = Date.now() - signalledAt;
    await client.close();

    expect([code, signal]).toEqual([0, null]);
    expect(answer).toMatchObject({ status: 200, body: 'slow', connection: 'close' });
    for (const each of during) expect(each).toMatchObject({ status: 200, body: 'ok' });
    expect(readiness.status).toBe(503);
    expect(exitMs).toBeGreaterThanOrEqual(1200);
    expect(exitMs).toBeLessThan(10_000);
    const onClose = stdout.map((line) => JSON.parse(line)).find((line) => line.msg === 'onClose');
    expect(onClose).toEqual({ msg: 'onClose', inFlight: 0, listening: false, state: 'cleanup' });
  });

  it('SIGTERM under keep-alive load: every request answered 200 through the drain delay, none reset', async () => {
    // The balancer stops routing here 600 ms after SIGTERM, inside the 1000 ms drain delay.
    const delayMs = 1000;
    const endpointLagMs = 600;
    const { child, url, exited } = await startChild({ LAMEDUCK_DRAIN_DELAY_MS: String(delayMs) });
    let signalledAt: number | undefined;
    const load = runLoad(url, {
      concurrency: 4,
      maxRequests: 30_000,
      maxMs: 8000,
      markAt: () => signalledAt,
      stopSendingAt: () => (signalledAt === undefined ? undefined : signalledAt + endpointLagMs),
    });
    await sleep(300);
    signalledAt = Date.now();
    child.kill('SIGTERM');
    const report = await load;
    const [code, signal] = await exited;
    const exitMs = Date.now() - signalledAt;

    expect([code, signal]).toEqual([0, null]);
    expect(report.statuses).toEqual({});
    expect(report.errors).toEqual([]);
    expect(report.okAfterMark).toBeGreaterThan(0);
    expect(exitMs).toBeGreaterThanOrEqual(delayMs - 50);
    console.info(
      `fastify under load: ${report.ok} requests 200 (${report.okAfterMark} sent after SIGTERM), 0 non-200, 0 errors; exit 0 ${exitMs} ms after SIGTERM`,
    );
  });

  it("with Fastify's logger off (its default), lameduck's summary still reaches stderr", async () => {
    const { child, url, stderr, exited } = await startChild({
      LAMEDUCK_DRAIN_DELAY_MS: '100',
      FIXTURE_SUMMARY: '1',
    });
    expect((await getOnNewConnection(url, '/')).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toEqual([0, null]);
    const lines = stderr()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg?: string; summary?: { exitCode: number } });
    const summary = lines.find((line) => line.summary !== undefined);
    expect(summary?.msg).toMatch(/^lameduck: stopped \(SIGTERM\)/);
    expect(summary?.summary?.exitCode).toBe(0);
    // Only warnings, errors and the summary: the phase lines went to Fastify's (silent) logger.
    expect(lines.some((line) => line.msg === 'lameduck: draining (SIGTERM)')).toBe(false);
  });

  it('a second SIGTERM during the drain exits at once with the force exit code', async () => {
    const { child, exited } = await startChild({ LAMEDUCK_DRAIN_DELAY_MS: '5000' });
    const signalledAt = Date.now();
    child.kill('SIGTERM');
    await sleep(300);
    child.kill('SIGTERM');
    expect(await exited).toEqual([130, null]);
    expect(Date.now() - signalledAt).toBeLessThan(4000);
  });
});

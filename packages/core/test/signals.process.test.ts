import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, startFixture, summaries, unshareProbe } from './support/child.js';

// Real processes receiving real signals. Vitest worker threads never receive signals, so each
// test forks the fixture (plain `node`, never npm or a shell) and signals its PID.

const clients: Client[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  killAll();
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(clients.splice(0).map((client) => client.destroy().catch(() => {})));
});

function client(port: number): Client {
  const c = new Client(`http://127.0.0.1:${port}`, { pipelining: 1, keepAliveTimeout: 30_000 });
  clients.push(c);
  return c;
}

/** Opens a raw keep-alive connection that made one request and read its full response. */
function idleKeepAliveSocket(port: number): Promise<{ socket: net.Socket; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    sockets.push(socket);
    const ended = once(socket, 'close').then(() => undefined);
    let received = '';
    socket.setEncoding('utf8');
    socket.once('error', reject);
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (received.endsWith('\r\n\r\nok')) {
        if (!/connection: keep-alive/i.test(received)) reject(new Error(`not keep-alive: ${received}`));
        socket.removeListener('error', reject);
        socket.on('error', () => {});
        resolve({ socket, ended });
      }
    });
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
  });
}

describe('real signals (child process)', () => {
  it('a request in flight at SIGTERM completes with 200 and Connection: close; the process exits 0 by itself', async () => {
    const fixture = await startFixture({ options: { drainDelayMs: 300, drainTimeoutMs: 3000 } });
    const pending = client(fixture.port).request({ path: '/slow?ms=700', method: 'GET' });
    await fixture.message((m) => m.arrived === '/slow');
    const signalledAt = Date.now();
    process.kill(fixture.pid, 'SIGTERM');
    const response = await pending;
    expect(response.statusCode).toBe(200);
    expect(response.headers.connection).toBe('close');
    expect(await response.body.text()).toBe('slow done');
    const exit = await fixture.exited;
    expect([exit.code, exit.signal]).toEqual([0, null]);
    expect(exit.at - signalledAt).toBeGreaterThanOrEqual(290);
    const [summary, ...more] = summaries(fixture.stderr());
    expect(more).toEqual([]);
    expect(summary).toMatchObject({ reason: 'SIGTERM', exitCode: 0, socketsDestroyed: 0 });
  });

  it('SIGINT starts the same sequence and exits 0', async () => {
    const fixture = await startFixture({ options: { drainDelayMs: 0 } });
    process.kill(fixture.pid, 'SIGINT');
    const exit = await fixture.exited;
    expect([exit.code, exit.signal]).toEqual([0, null]);
    expect(summaries(fixture.stderr())[0]).toMatchObject({ reason: 'SIGINT', exitCode: 0 });
  });

  it('100 idle keep-alive sockets do not hold the process (drain delay 0)', async () => {
    const fixture = await startFixture({ options: { drainDelayMs: 0, drainTimeoutMs: 5000 } });
    const idle = [];
    for (let i = 0; i < 100; i += 1) idle.push(await idleKeepAliveSocket(fixture.port));
    const signalledAt = Date.now();
    process.kill(fixture.pid, 'SIGTERM');
    const exit = await fixture.exited;
    const exitMs = exit.at - signalledAt;
    console.log(`exit after SIGTERM with 100 idle keep-alive sockets (drain delay 0): ${exitMs} ms`);
    expect([exit.code, exit.signal]).toEqual([0, null]);
    expect(exitMs).toBeLessThan(3000);
    await Promise.all(idle.map(({ ended }) => ended));
    expect(summaries(fixture.stderr())[0]).toMatchObject({
      socketsClosed: 100,
      socketsDestroyed: 0,
      exitCode: 0,
    });
  });

  it('a hook that hangs does not stop the exit; the exit code is 1 and the budget holds', async () => {
    const options = {
      drainDelayMs: 0,
      drainTimeoutMs: 500,
      cleanupTimeoutMs: 1000,
      hookTimeoutMs: 400,
      marginMs: 500,
      gracePeriodSeconds: 3,
    };
    const hooks = [
      { name: 'db', behavior: 'ok' },
      { name: 'queue', behavior: 'hang' },
    ] as const;
    const fixture = await startFixture({ options, hooks });
    const signalledAt = Date.now();
    process.kill(fixture.pid, 'SIGTERM');
    const exit = await fixture.exited;
    expect([exit.code, exit.signal]).toEqual([1, null]);
    expect(exit.at - signalledAt).toBeGreaterThanOrEqual(390);
    expect(exit.at - signalledAt).toBeLessThan(3000);
    const [summary] = summaries(fixture.stderr());
    expect(summary?.hooks).toMatchObject([
      { name: 'queue', ok: false },
      { name: 'db', ok: true },
    ]);
  });

  it('a second SIGTERM exits at once with forceExitCode (130)', async () => {
    // Inside Kubernetes the drain delay defaults to 5 s.
    const fixture = await startFixture({ env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' } });
    process.kill(fixture.pid, 'SIGTERM');
    await fixture.message((m) => m.state === 'draining');
    const secondAt = Date.now();
    process.kill(fixture.pid, 'SIGTERM');
    const exit = await fixture.exited;
    expect([exit.code, exit.signal]).toEqual([130, null]);
    // Long before the 5 s drain delay would have ended.
    expect(exit.at - secondAt).toBeLessThan(2000);
  });

  it('preStop httpGet then SIGTERM, as the kubelet does: one shutdown, served to the end, exit 0', async () => {
    const fixture = await startFixture({
      env: {
        LAMEDUCK_DRAIN_DELAY_MS: '400',
        LAMEDUCK_DRAIN_TIMEOUT_MS: '2000',
        LAMEDUCK_PRESTOP_TOKEN: 'kubelet-token',
      },
    });
    const c = client(fixture.port);
    // A stranger is refused and the pod keeps serving.
    const stranger = await c.request({ path: '/prestop', method: 'GET' });
    expect(stranger.statusCode).toBe(401);
    await stranger.body.text();
    const served = await c.request({ path: '/', method: 'GET' });
    expect(served.statusCode).toBe(200);
    expect(served.headers.connection).not.toBe('close');
    await served.body.text();
    const startedAt = Date.now();
    const preStop = await c.request({
      path: '/prestop',
      method: 'GET',
      headers: { authorization: 'Bearer kubelet-token' },
    });
    expect(preStop.statusCode).toBe(200);
    await preStop.body.text();
    // The answer came once the drain delay (from LAMEDUCK_DRAIN_DELAY_MS) had passed.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(390);
    process.kill(fixture.pid, 'SIGTERM');
    const exit = await fixture.exited;
    expect([exit.code, exit.signal]).toEqual([0, null]);
    const all = summaries(fixture.stderr());
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ reason: 'preStop', exitCode: 0 });
    expect(fixture.stderr()).toContain('LAMEDUCK_PRESTOP_REFUSED');
  });

  it('a malformed LAMEDUCK_* variable stops the start-up with a coded error naming it', async () => {
    const error = await startFixture({ env: { LAMEDUCK_DRAIN_TIMEOUT_MS: '10s' } }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    // node prints the uncaught LameduckError with its code and message.
    expect((error as Error).message).toContain("code: 'LAMEDUCK_INVALID_ENV'");
    expect((error as Error).message).toContain('LAMEDUCK_DRAIN_TIMEOUT_MS');
  });

  it('node as PID 1 of a PID namespace exits by itself on SIGTERM with code 0', async (context) => {
    const probe = unshareProbe();
    if (!probe.ok) {
      // Only when unshare itself is refused (EPERM in some containers): say so, loudly.
      const refused = /Operation not permitted|EPERM/i.test(probe.reason);
      if (!refused) throw new Error(`unshare -Urpf --mount-proc failed: ${probe.reason}`);
      console.warn(`SKIPPED node-as-PID-1 test: unshare is not permitted here (${probe.reason})`);
      context.skip(`unshare not permitted: ${probe.reason}`);
      return;
    }
    // With the loop held, a re-raised signal (ignored by PID 1) would leave the process running.
    const fixture = await startFixture({ options: { drainDelayMs: 200 }, holdLoop: true }, { pid1: true });
    expect(fixture.innerPid).toBe(1);
    expect(fixture.pid).not.toBe(fixture.child.pid);
    const c = client(fixture.port);
    const response = await c.request({ path: '/', method: 'GET' });
    expect(await response.body.text()).toBe('ok');
    // `unshare --fork` blocks SIGTERM instead of forwarding it, so signal the namespace's
    // PID 1 directly, from outside, as a container runtime does.
    process.kill(fixture.pid, 'SIGTERM');
    const exit = await fixture.exited;
    expect([exit.code, exit.signal]).toEqual([0, null]);
    expect(summaries(fixture.stderr())[0]).toMatchObject({ reason: 'SIGTERM', exitCode: 0 });
  });
});

describe('the README quick start', () => {
  it('runs as written: serves, answers the probes, and exits 0 on SIGTERM', async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const code = /## Quick start[^\n]*\n[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toBeDefined();
    // Inside the package folder (git-ignored), so `@lameduck/core` resolves to this package's dist.
    const tmp = fileURLToPath(new URL('../.lameduck-tmp/', import.meta.url));
    mkdirSync(tmp, { recursive: true });
    const dir = mkdtempSync(`${tmp}quick-start-`);
    const file = `${dir}/server.mjs`;
    writeFileSync(file, code ?? '');
    try {
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, PORT: '0' };
      const child = spawn(process.execPath, [file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const guard = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
      let stdout = '';
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          stdout += chunk;
          const match = /listening on (\d+)/.exec(stdout);
          if (match) resolve(Number(match[1]));
        });
        child.once('exit', () => reject(new Error(`quick start exited before listening: ${stdout}`)));
      });
      const c = client(port);
      const hello = await c.request({ path: '/', method: 'GET' });
      expect(await hello.body.text()).toBe('hello');
      const ready = await c.request({ path: '/readyz', method: 'GET' });
      expect(ready.statusCode).toBe(200);
      await ready.body.text();
      const live = await c.request({ path: '/livez', method: 'GET' });
      expect(live.statusCode).toBe(200);
      await live.body.text();
      child.kill('SIGTERM');
      expect(await exited).toEqual([0, null]);
      clearTimeout(guard);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

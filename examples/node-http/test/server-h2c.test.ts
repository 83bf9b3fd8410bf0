import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sleep, startH2Load } from '@lameduck/contract';
import { afterEach, describe, expect, it } from 'vitest';

// Real processes, a real SIGTERM, steady HTTP/2 stream load from node's http2 client.

const serverFile = fileURLToPath(new URL('../server-h2c.js', import.meta.url));
const DRAIN_DELAY_MS = 800;
const children = new Set<ChildProcess>();

afterEach(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
});

interface Started {
  readonly child: ChildProcess;
  readonly origin: string;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** `node server-h2c.js` with PORT=0; resolves once it printed its listening line. */
async function start(): Promise<Started> {
  const child = spawn(process.execPath, [serverFile], {
    // VITEST and NODE_ENV=test would silence the default logger and with it the summary line.
    env: {
      ...process.env,
      VITEST: '',
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      LAMEDUCK_DRAIN_DELAY_MS: String(DRAIN_DELAY_MS),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, at: performance.now() });
    }),
  );
  const firstLine = await new Promise<string>((resolve) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  const { port } = JSON.parse(firstLine) as { port: number };
  return { child, origin: `http://127.0.0.1:${port}`, stderr: () => stderr, exited };
}

describe('node examples/node-http/server-h2c.js', () => {
  it('SIGTERM under steady h2c stream load: no stream fails, every session goes away, exit 0 within the drain delay + 1.5 s', async () => {
    const [replica, other] = await Promise.all([start(), start()]);
    // kube-proxy: new sessions go to the other replica once the endpoint is removed, half-way
    // through the drain delay; sessions already open stay where they are.
    let endpointRemoved = false;
    const load = startH2Load({
      origin: () => (endpointRemoved ? other.origin : replica.origin),
      sessions: 4,
      intervalMs: 5,
      path: (n) => (n % 4 === 0 ? '/slow?ms=300' : '/'),
    });
    try {
      await sleep(400);
      const signalledAt = performance.now();
      replica.child.kill('SIGTERM');
      setTimeout(() => {
        endpointRemoved = true;
      }, DRAIN_DELAY_MS / 2);
      const exit = await replica.exited;
      await sleep(100);
      const counts = await load.stop();

      expect(counts.failures).toEqual([]);
      expect(counts.failed).toBe(0);
      expect(counts.ok).toBeGreaterThan(100);
      expect([exit.code, exit.signal]).toEqual([0, null]);
      const elapsed = exit.at - signalledAt;
      expect(elapsed).toBeGreaterThanOrEqual(DRAIN_DELAY_MS - 10);
      expect(elapsed).toBeLessThan(DRAIN_DELAY_MS + 1500);
      const summary = replica
        .stderr()
        .split('\n')
        .filter((line) => line.includes('"summary"'))
        .map((line) => (JSON.parse(line) as { summary: Record<string, number> }).summary)[0];
      expect(summary).toMatchObject({ exitCode: 0, sessionsDestroyed: 0, socketsDestroyed: 0 });
      expect(summary?.sessionsClosed).toBeGreaterThanOrEqual(4);
      console.info(
        `h2c example on node ${process.version}: exit 0 after ${Math.round(elapsed)} ms (drain delay ${DRAIN_DELAY_MS} ms); streams ${counts.ok} ok, ${counts.retried} refused and retried, ${counts.failed} failed; ${summary?.sessionsClosed} sessions closed, ${counts.sessions} opened by the client`,
      );
    } finally {
      await load.stop();
      other.child.kill('SIGKILL');
    }
  });
});

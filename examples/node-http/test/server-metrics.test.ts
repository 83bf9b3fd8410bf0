import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';

const serverFile = fileURLToPath(new URL('../server-metrics.js', import.meta.url));
const children = new Set<ChildProcess>();

afterEach(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
});

describe('server-metrics.js: an admin server with Prometheus metrics through @lameduck/opentelemetry', () => {
  it('the admin port is scraped all through the drain of the app port; the metrics follow the phases; exit 0', async () => {
    const child = spawn(process.execPath, [serverFile], {
      env: { ...process.env, PORT: '0', ADMIN_PORT: '0', HOST: '127.0.0.1', LAMEDUCK_DRAIN_DELAY_MS: '400' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.add(child);
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.once('exit', (code, signal) => {
        clearTimeout(guard);
        resolve([code, signal]);
      }),
    );
    const line = await new Promise<string>((resolve) =>
      createInterface({ input: child.stdout! }).once('line', resolve),
    );
    const { port, adminPort } = JSON.parse(line) as { port: number; adminPort: number };
    const scrape = async () => {
      const response = await request(`http://127.0.0.1:${adminPort}/metrics`, { reset: true });
      const text = await response.body.text();
      return { status: response.statusCode, state: Number(/^lameduck_state\{[^}]*\} (\d)/m.exec(text)?.[1]) };
    };
    expect(await scrape()).toEqual({ status: 200, state: 1 });
    const slow = request(`http://127.0.0.1:${port}/slow?ms=1200`).then((r) => r.body.text());
    await new Promise((resolve) => setTimeout(resolve, 100));
    child.kill('SIGTERM');
    const states = new Set<number>();
    let stopped = false;
    void exited.then(() => {
      stopped = true;
    });
    while (!stopped) {
      const answer = await scrape().catch(() => undefined);
      if (answer === undefined) break; // the admin listener closed last, just before the exit
      expect(answer.status).toBe(200);
      states.add(answer.state);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(JSON.parse(await slow)).toEqual({ slept: 1200 });
    // Scraped while draining (2) and while the slow request kept the app port closing (3).
    expect(states.has(2)).toBe(true);
    expect(states.has(3)).toBe(true);
    expect(await exited).toEqual([0, null]);
  });
});

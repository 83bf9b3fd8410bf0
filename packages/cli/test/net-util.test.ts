import * as http from 'node:http';
import { describe, expect, it } from 'vitest';
import { findFreePort, httpGet, runAt, sleep } from '../src/net-util.js';

describe('timers that never fire early', () => {
  it('sleep(ms) always takes at least ms', async () => {
    for (let i = 0; i < 20; i += 1) {
      const startedAt = performance.now();
      await sleep(15);
      expect(performance.now() - startedAt).toBeGreaterThanOrEqual(15);
    }
  });

  it('runAt(at) runs at or after `at`, and can be cancelled', async () => {
    const at = performance.now() + 30;
    const ranAt = await new Promise<number>((resolve) => runAt(at, () => resolve(performance.now())));
    expect(ranAt).toBeGreaterThanOrEqual(at);
    let ran = false;
    const cancel = runAt(performance.now() + 10, () => {
      ran = true;
    });
    cancel();
    await sleep(30);
    expect(ran).toBe(false);
  });

  it('sleep resolves at once when its signal aborts', async () => {
    const controller = new AbortController();
    const startedAt = performance.now();
    setTimeout(() => controller.abort(), 10);
    await sleep(10_000, controller.signal);
    expect(performance.now() - startedAt).toBeLessThan(5000);
  });
});

describe('httpGet', () => {
  it('returns the status on a new connection, and ECONNREFUSED once nothing listens', async () => {
    const server = http.createServer((req, res) => {
      res.statusCode = req.url === '/readyz' ? 503 : 200;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    expect(await httpGet(port, '/readyz', 1000)).toEqual({ status: 503 });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(await httpGet(port, '/readyz', 1000)).toEqual({ error: 'ECONNREFUSED' });
  });

  it('gives up after its timeout', async () => {
    const server = http.createServer(() => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    expect(await httpGet(port, '/', 100)).toEqual({ error: 'TIMEOUT' });
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('findFreePort returns a port nothing listens on', async () => {
    const port = await findFreePort();
    expect(port).toBeGreaterThan(0);
    expect((await httpGet(port, '/', 1000)).error).toBe('ECONNREFUSED');
  });
});

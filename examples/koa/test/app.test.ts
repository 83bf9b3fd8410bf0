import type * as http from 'node:http';
import { KeepAliveClient } from '@lameduck/contract';
import { createLameduck, listen } from '@lameduck/koa';
import { afterEach, expect, it } from 'vitest';
import { buildApp, SLOW_MAX_MS } from '../app.js';

let server: http.Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

it('buildApp() can be imported and served without server.js', async () => {
  const lameduck = createLameduck({ signals: false, exit: () => {}, env: {} });
  server = await listen(buildApp(lameduck), lameduck, { port: 0, host: '127.0.0.1' });
  const client = new KeepAliveClient(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
  expect((await client.get('/readyz')).status).toBe(200);
  expect((await client.get('/slow?ms=-1')).status).toBe(400);
  expect(SLOW_MAX_MS).toBe(60_000);
  await lameduck.shutdown('test');
  await client.close();
  lameduck.dispose();
});

import { KeepAliveClient } from '@lameduck/contract';
import type { FastifyInstance } from 'fastify';
import { afterEach, expect, it } from 'vitest';
import { buildApp, SLOW_MAX_MS } from '../app.js';
import { createPool } from '../db.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
});

it('buildApp() can be imported and served without server.js; onClose closes the pool after the drain', async () => {
  const pool = createPool({ endMs: 10 });
  app = await buildApp({
    pool,
    logger: false,
    lameduckOptions: { signals: false, exit: () => {}, env: {}, summary: false },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const client = new KeepAliveClient(`http://127.0.0.1:${(app.server.address() as { port: number }).port}`);
  expect((await client.get('/readyz')).status).toBe(200);
  expect((await client.get(`/slow?ms=${SLOW_MAX_MS + 1}`)).status).toBe(400);
  const slow = client.get('/slow?ms=300');
  await new Promise((resolve) => setTimeout(resolve, 100));
  const result = await app.lameduck.shutdown('test');
  expect((await slow).status).toBe(200);
  expect(result).toMatchObject({ exitCode: 0, socketsDestroyed: 0 });
  expect(pool.open).toBe(false);
  await client.close();
});

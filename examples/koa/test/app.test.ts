import { adapterTestScope } from '@lameduck/contract';
import { listen } from '@lameduck/koa';
import { expect, it } from 'vitest';
import { buildApp, SLOW_MAX_MS } from '../app.js';

const { newLameduck, clientOf } = adapterTestScope();

it('buildApp() can be imported and served without server.js', async () => {
  const lameduck = newLameduck();
  const client = clientOf(await listen(buildApp(), lameduck, { port: 0, host: '127.0.0.1' }));
  expect((await client.get('/readyz')).status).toBe(200);
  expect((await client.get('/slow?ms=-1')).status).toBe(400);
  expect(SLOW_MAX_MS).toBe(60_000);
  await lameduck.shutdown('test');
});

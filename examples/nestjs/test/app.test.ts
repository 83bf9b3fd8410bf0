import { createRequire } from 'node:module';
import { KeepAliveClient } from '@lameduck/contract';
import type { INestApplication } from '@nestjs/common';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { assertBuilt } from './dist.js';

// The compiled CommonJS app, as `nest build` / tsc emits it.
const require = createRequire(import.meta.url);

let app: INestApplication | undefined;
beforeAll(assertBuilt);
afterEach(async () => {
  await app?.close();
  app = undefined;
});

it.each(['express', 'fastify'] as const)(
  'createApp(%s) can be imported and served without main.js',
  async (platform) => {
    const { createApp, platformFromEnv } = require('../dist/app.js') as typeof import('../src/app');
    const { SLOW_MAX_MS } = require('../dist/app.controller.js') as typeof import('../src/app.controller');
    expect(platformFromEnv({})).toBe('express');
    expect(() => platformFromEnv({ NEST_PLATFORM: 'koa' })).toThrow(/NEST_PLATFORM/);
    expect(SLOW_MAX_MS).toBe(60_000);

    app = await createApp(platform);
    await app.listen(0, '127.0.0.1');
    const client = new KeepAliveClient(`http://127.0.0.1:${app.getHttpServer().address().port}`);
    try {
      expect((await client.get('/readyz')).status).toBe(200);
      expect((await client.get('/slow?ms=-1')).status).toBe(400);
    } finally {
      await client.close();
    }
  },
);

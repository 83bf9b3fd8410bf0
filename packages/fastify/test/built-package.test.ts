import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { getOnNewConnection } from '@lameduck/contract';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';

const ESM = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const CJS = fileURLToPath(new URL('../dist/index.cjs', import.meta.url));

describe('the built package (dist/)', () => {
  it('registers from both the ESM and the CommonJS build, declaring its name and Fastify 5', async () => {
    if (!existsSync(ESM) || !existsSync(CJS))
      throw new Error('dist is missing: run `npx tsup` in packages/fastify');
    const esm = (await import(ESM)) as typeof import('../src/index.js');
    const cjs = createRequire(import.meta.url)(CJS) as typeof import('../src/index.js');
    for (const plugin of [esm.lameduck, esm.default, cjs.lameduck]) {
      const meta = (plugin as unknown as Record<symbol, { name: string; fastify: string }>)[
        Symbol.for('plugin-meta')
      ];
      expect(meta).toMatchObject({ name: '@lameduck/fastify', fastify: '5.x' });
      // The quick start: the probes in front of Fastify, on its server.
      const app = Fastify();
      await app.register(plugin, { signals: false, exit: () => {}, env: {} });
      app.get('/', async () => 'ok');
      await app.listen({ port: 0, host: '127.0.0.1' });
      const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      expect((await getOnNewConnection(url, '/readyz')).status).toBe(200);
      expect((await getOnNewConnection(url, '/')).status).toBe(200);
      expect(app.hasRoute({ method: 'GET', url: '/readyz' })).toBe(false);
      await app.close();
      expect(app.lameduck.state).toBe('stopped');
      // probesInApp: the probes as routes, for app.inject().
      const routed = Fastify();
      await routed.register(plugin, { signals: false, exit: () => {}, env: {}, probesInApp: true });
      await routed.ready();
      expect((await routed.inject('/readyz')).statusCode).toBe(503);
      expect((await routed.inject('/livez')).statusCode).toBe(200);
      await routed.close();
    }
  });
});

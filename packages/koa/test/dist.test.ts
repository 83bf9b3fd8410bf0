import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KeepAliveClient, killServerProcesses, sleep, startServerProcess } from '@lameduck/contract';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../src/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

beforeAll(() => {
  for (const file of ['index.js', 'index.cjs']) {
    const built = fileURLToPath(new URL(`../dist/${file}`, import.meta.url));
    if (!existsSync(built)) throw new Error(`${built} is missing: run \`npx tsup\` in packages/koa first`);
  }
});

afterEach(killServerProcesses);

describe.each([
  ['CommonJS (require)', 'app.cjs', 'cjs'],
  ['ESM (import)', 'app.mjs', 'esm'],
])('the built package from %s', (_label, file, format) => {
  it.each([
    ['koa 3', 'koa'],
    ['koa 2', 'koa2'],
  ])('%s: SIGTERM drains an in-flight request, runs the hook and exits 0', async (_name, module) => {
    const server = await startServerProcess(fixture(file), { env: { KOA_MODULE: module } });
    expect(server.jsonLines()[0]).toMatchObject({ msg: 'listening', format });
    const client = new KeepAliveClient(server.url);
    try {
      expect(await client.get('/')).toMatchObject({ status: 200, body: 'ok' });
      expect((await client.get('/readyz')).status).toBe(200);
      const slow = new KeepAliveClient(server.url);
      const inFlight = slow.get('/slow?ms=1000');
      await sleep(250);
      const signalledAt = server.signal('SIGTERM');

      const answer = await inFlight;
      expect(answer).toMatchObject({ status: 200, body: 'slow', connection: 'close' });
      const exit = await server.exited;
      expect([exit.code, exit.signal]).toEqual([0, null]);
      // The drain delay (300 ms) and the in-flight request (~750 ms left) both passed first.
      expect(exit.at - signalledAt).toBeGreaterThanOrEqual(700);
      expect(server.jsonLines()).toContainEqual({ msg: 'cleanup', state: 'cleanup' });
      await slow.close();
    } finally {
      await client.close();
    }
  });
});

describe('a server that was never attached', () => {
  it('SIGTERM: logs a MISUSE warning that says what to do, still finishes the tracked request, exits 0', async () => {
    const server = await startServerProcess(fixture('no-attach.mjs'), {
      env: { NODE_ENV: 'production', VITEST: '' },
    });
    const client = new KeepAliveClient(server.url);
    try {
      const inFlight = client.get('/slow?ms=800');
      await sleep(250);
      server.signal('SIGTERM');
      expect(await inFlight).toMatchObject({ status: 200, body: 'slow', connection: 'close' });
      const exit = await server.exited;
      expect([exit.code, exit.signal]).toEqual([0, null]);
      const warnings = server
        .stderr()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { code?: string; msg?: string })
        .filter((line) => line.code === ErrorCodes.MISUSE);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.msg).toContain('attach(server)');
    } finally {
      await client.close();
    }
  });
});

import { Client } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import {
  assertLameduck,
  ErrorCodes,
  listen,
  markProbesServedByMiddleware,
  probesForListen,
  rejectUncalledMiddleware,
} from '../src/index.js';
import { closeServer, codeOf, createTestLameduck, gate, originOf } from './support/harness.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('adapter kit', () => {
  it('assertLameduck accepts an instance and rejects anything else with MISUSE', () => {
    const { lameduck } = createTestLameduck();
    expect(codeOf(() => assertLameduck(lameduck, 'plugin(...)'))).toBeUndefined();
    for (const value of [undefined, null, {}, { attach() {} }, 'lameduck']) {
      expect(codeOf(() => assertLameduck(value, 'plugin(...)'))).toBe(ErrorCodes.MISUSE);
    }
  });

  it("probesForListen: the caller's probes, else true until a probe middleware is made for the instance", () => {
    const { lameduck } = createTestLameduck();
    expect(probesForListen(lameduck, { port: 0 })).toBe(true);
    expect(probesForListen(lameduck, { port: 0, probes: false })).toBe(false);
    markProbesServedByMiddleware(lameduck);
    expect(probesForListen(lameduck, { port: 0 })).toBe(false);
    expect(probesForListen(lameduck, { port: 0, probes: { readinessPath: '/ready' } })).toEqual({
      readinessPath: '/ready',
    });
    expect(probesForListen(createTestLameduck().lameduck, { port: 0 })).toBe(true);
  });

  it('rejectUncalledMiddleware: MISUSE when the factory itself is among the handlers, naming the fix', () => {
    function lameduckMiddleware() {}
    const calledOnce = () => {};
    expect(codeOf(() => rejectUncalledMiddleware([calledOnce], lameduckMiddleware))).toBeUndefined();
    expect(codeOf(() => rejectUncalledMiddleware([], lameduckMiddleware))).toBeUndefined();
    expect(codeOf(() => rejectUncalledMiddleware([calledOnce, lameduckMiddleware], lameduckMiddleware))).toBe(
      ErrorCodes.MISUSE,
    );
    expect(() => rejectUncalledMiddleware([lameduckMiddleware], lameduckMiddleware)).toThrow(
      /app\.use\(lameduckMiddleware\(lameduck\)\)/,
    );
  });

  it('listen() creates an attached server on port 0 that becomes ready and drains', async () => {
    const { lameduck } = createTestLameduck({ drainDelayMs: 0 });
    const server = await listen(lameduck, (_req, res) => res.end('ok'), { port: 0, host: '127.0.0.1' });
    cleanups.push(() => closeServer(server));
    expect(lameduck.state).toBe('serving');
    const client = new Client(originOf(server));
    cleanups.push(() => client.destroy().catch(() => {}));
    const response = await client.request({ path: '/', method: 'GET' });
    expect(await response.body.text()).toBe('ok');
    const summary = await lameduck.shutdown('test');
    expect(summary.socketsClosed).toBe(1);
    expect(server.listening).toBe(false);
  });

  it('listen() rejects a bad port with INVALID_OPTION and passes node listen errors on', async () => {
    const { lameduck } = createTestLameduck();
    for (const port of [-1, 70_000, 1.5, '3000', undefined]) {
      expect(codeOf(() => listen(lameduck, () => {}, { port } as unknown as { port: number }))).toBe(
        ErrorCodes.INVALID_OPTION,
      );
    }
    const taken = await listen(lameduck, () => {}, { port: 0, host: '127.0.0.1' });
    cleanups.push(() => closeServer(taken));
    const port = (taken.address() as { port: number }).port;
    const error = await listen(lameduck, () => {}, { port, host: '127.0.0.1' }).catch((e: Error) => e);
    expect((error as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
  });

  it('a handler that removes every header (as Koa does on errors) still has its socket closed after the response', async () => {
    const release = gate();
    const { lameduck } = createTestLameduck({ drainDelayMs: 300 });
    const server = await listen(
      lameduck,
      async (_req, res) => {
        await release.promise;
        for (const name of res.getHeaderNames()) res.removeHeader(name);
        res.statusCode = 500;
        res.end('error');
      },
      { port: 0, host: '127.0.0.1' },
    );
    cleanups.push(() => closeServer(server));
    const client = new Client(originOf(server));
    cleanups.push(() => client.destroy().catch(() => {}));
    const disconnected = new Promise((resolve) => client.once('disconnect', () => resolve(lameduck.state)));
    const arrived = new Promise((resolve) => server.once('request', resolve));
    const pending = client.request({ path: '/', method: 'GET' });
    await arrived;
    const result = lameduck.shutdown('test');
    release.open();
    const response = await pending;
    expect(response.statusCode).toBe(500);
    // node writes no Connection header once the app removed it, but keep-alive is off for the
    // response, so node closes the socket after it, during the drain delay.
    expect(response.headers.connection).toBeUndefined();
    await response.body.text();
    expect(await disconnected).toBe('draining');
    expect((await result).exitCode).toBe(0);
  });
});

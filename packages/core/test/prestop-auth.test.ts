import type * as http from 'node:http';
import { Client } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createProbeRouter, ErrorCodes, type Lameduck } from '../src/index.js';
import {
  closeServer,
  createTestLameduck,
  type Handler,
  listen,
  originOf,
  warningLogger,
} from './support/harness.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const TOKEN = 'c0ffee0123456789c0ffee0123456789';

async function server(handler: Handler): Promise<http.Server> {
  const s = await listen(handler);
  cleanups.push(() => closeServer(s));
  return s;
}

/** Each request on a fresh connection, as the kubelet and a stranger's curl do. */
async function get(
  s: http.Server,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; headers: Record<string, unknown> }> {
  const client = new Client(originOf(s));
  try {
    const response = await client.request({ path, method: 'GET', headers });
    return { status: response.statusCode, text: await response.body.text(), headers: response.headers };
  } finally {
    await client.close();
  }
}

async function appWithPreStop(lameduck: Lameduck): Promise<http.Server> {
  const probes = createProbeRouter(lameduck, { preStopPath: '/prestop' });
  const s = await server((req, res) => {
    if (!probes(req, res)) res.end('app');
  });
  lameduck.attach(s);
  return s;
}

describe('preStop token', () => {
  it('no header, a wrong token, a token of the wrong length and another scheme are refused; the pod keeps serving', async () => {
    const logger = warningLogger();
    const { lameduck, exits } = createTestLameduck({ preStopToken: TOKEN, drainDelayMs: 200, logger });
    const s = await appWithPreStop(lameduck);
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: `Bearer ${TOKEN.replace('c', 'd')}` }, // same length, wrong
      { authorization: `Bearer ${TOKEN}0` }, // one character longer
      { authorization: 'Bearer x' }, // much shorter
      { authorization: `Basic ${TOKEN}` },
      { authorization: TOKEN },
    ];
    for (const headers of attempts) {
      const answer = await get(s, '/prestop', headers);
      expect(answer.status, JSON.stringify(headers)).toBe(401);
      expect(answer.headers['www-authenticate']).toContain('Bearer');
      expect(lameduck.state).toBe('serving');
    }
    const app = await get(s, '/orders');
    expect(app.status).toBe(200);
    expect(app.text).toBe('app');
    expect(app.headers.connection).not.toBe('close');
    expect(exits).toEqual([]);
    // Rate-limited: one warning for the burst, naming the source address.
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]?.obj).toMatchObject({
      code: 'LAMEDUCK_PRESTOP_REFUSED',
      remoteAddress: '127.0.0.1',
      reason: 'no Authorization header',
    });
    expect(logger.warnings[0]?.msg).toContain('127.0.0.1');
    lameduck.dispose();
  });

  it('the right token starts the drain and answers once the drain delay passed', async () => {
    const { lameduck, exited } = createTestLameduck({ preStopToken: TOKEN, drainDelayMs: 300 });
    const s = await appWithPreStop(lameduck);
    const startedAt = Date.now();
    const answer = await get(s, '/prestop', { authorization: `bearer  ${TOKEN}` });
    expect(answer.status).toBe(200);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(290);
    expect(await exited).toBe(0);
  });

  it('reads the token from LAMEDUCK_PRESTOP_TOKEN', async () => {
    const { lameduck, exited } = createTestLameduck({
      env: { LAMEDUCK_PRESTOP_TOKEN: ` ${TOKEN} ` },
      drainDelayMs: 0,
    });
    const s = await appWithPreStop(lameduck);
    expect((await get(s, '/prestop', { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await get(s, '/prestop', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect(await exited).toBe(0);
  });

  it('a preStop path with no token is a start-up error saying how to set one', () => {
    const { lameduck } = createTestLameduck();
    let error: unknown;
    try {
      createProbeRouter(lameduck, { preStopPath: '/prestop' });
    } catch (caught) {
      error = caught;
    }
    expect((error as { code?: string }).code).toBe(ErrorCodes.PRESTOP_TOKEN_MISSING);
    expect(String(error)).toContain('LAMEDUCK_PRESTOP_TOKEN');
    expect(String(error)).toContain('httpHeaders');
    // Without a preStop path nothing is required.
    expect(() => createProbeRouter(lameduck)).not.toThrow();
    lameduck.dispose();
  });

  it('bad tokens are refused with coded errors, and the token never appears in them', () => {
    expect(() => createTestLameduck({ preStopToken: 'has space' })).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }),
    );
    expect(() => createTestLameduck({ preStopToken: '' })).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }),
    );
    let error: unknown;
    try {
      createTestLameduck({ env: { LAMEDUCK_PRESTOP_TOKEN: 'secret with\tspace' } });
    } catch (caught) {
      error = caught;
    }
    expect((error as { code?: string }).code).toBe(ErrorCodes.INVALID_ENV);
    expect(String(error)).not.toContain('secret');
  });

  it('adminOnly: no token needed; a preStop request on the app server is refused, on the admin server it drains', async () => {
    const { lameduck, exited } = createTestLameduck({ drainDelayMs: 0 });
    const probes = createProbeRouter(lameduck, { preStopPath: '/prestop', adminOnly: true });
    const handler: Handler = (req, res) => {
      if (!probes(req, res)) res.end('app');
    };
    const app = await server(handler);
    const admin = await server(handler);
    lameduck.attach(app);
    lameduck.attach(admin, { role: 'admin' });
    expect((await get(app, '/prestop')).status).toBe(401);
    expect(lameduck.state).toBe('serving');
    expect((await get(admin, '/prestop')).status).toBe(200);
    expect(await exited).toBe(0);
  });

  it('attach() refuses an unknown role', () => {
    const { lameduck } = createTestLameduck();
    const fake = { role: 'metrics' } as unknown as { role: 'admin' };
    return server(() => {}).then((s) => {
      expect(() => lameduck.attach(s, fake)).toThrow(
        expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }),
      );
      lameduck.dispose();
    });
  });
});

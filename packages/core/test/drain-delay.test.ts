import type * as http from 'node:http';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createProbeRouter, ErrorCodes, type Lameduck, resolveOptions } from '../src/index.js';
import { closeServer, createTestLameduck, delay, type Handler, listen, originOf } from './support/harness.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(handler: Handler): Promise<http.Server> {
  const s = await listen(handler);
  cleanups.push(() => closeServer(s));
  return s;
}

async function app(lameduck: Lameduck): Promise<http.Server> {
  const probes = createProbeRouter(lameduck);
  const s = await server((req, res) => {
    if (!probes(req, res)) res.end('app');
  });
  lameduck.attach(s);
  return s;
}

/** GET on a new connection every `everyMs` until `untilMs` after the call; counts the 200s. */
function steadyNewConnections(s: http.Server, path: string, everyMs: number, untilMs: number) {
  const stopAt = Date.now() + untilMs;
  let ok = 0;
  let failed = 0;
  const done = (async () => {
    while (Date.now() < stopAt) {
      try {
        const response = await request(`${originOf(s)}${path}`, { reset: true });
        await response.body.text();
        ok += 1;
      } catch {
        failed += 1;
      }
      await delay(everyMs);
    }
  })();
  return { done, counts: () => ({ ok, failed }) };
}

describe('adaptive drain delay', () => {
  it('alone, drainDelayMs keeps its fixed meaning and the result says the maximum ended it', async () => {
    const { lameduck } = createTestLameduck({ drainDelayMs: 400, exitOnStopped: false });
    await app(lameduck);
    const result = await lameduck.shutdown('test');
    expect(result.drainDelay.endedBy).toBe('maximum');
    expect(result.drainDelay.ms).toBeGreaterThanOrEqual(395);
  });

  it('with no traffic, ends once quiet, never before the minimum, long before the maximum', async () => {
    const { lameduck } = createTestLameduck({
      drainDelayMs: 5000,
      drainDelayMinMs: 600,
      drainQuietMs: 300,
      exitOnStopped: false,
    });
    await app(lameduck);
    const result = await lameduck.shutdown('test');
    expect(result.drainDelay.endedBy).toBe('quiet');
    expect(result.drainDelay.ms).toBeGreaterThanOrEqual(595);
    expect(result.drainDelay.ms).toBeLessThan(2000);
  });

  it('traffic that keeps arriving past the minimum extends the delay, and every request is served', async () => {
    const { lameduck } = createTestLameduck({
      drainDelayMs: 6000,
      drainDelayMinMs: 200,
      drainQuietMs: 400,
      exitOnStopped: false,
    });
    const s = await app(lameduck);
    const load = steadyNewConnections(s, '/orders', 50, 1200);
    await delay(100);
    const result = await lameduck.shutdown('test');
    await load.done;
    expect(result.drainDelay.endedBy).toBe('quiet');
    // The last request came about 1.1 s after the start: the delay waited for it plus the quiet.
    expect(result.drainDelay.ms).toBeGreaterThanOrEqual(1400);
    expect(result.drainDelay.ms).toBeLessThan(4000);
    expect(load.counts().failed).toBe(0);
    expect(result.exitCode).toBe(0);
  });

  it('probe traffic does not count: probes all through the delay do not hold it open', async () => {
    const { lameduck } = createTestLameduck({
      drainDelayMs: 6000,
      drainDelayMinMs: 200,
      drainQuietMs: 400,
      exitOnStopped: false,
    });
    const s = await app(lameduck);
    const probes = steadyNewConnections(s, '/readyz', 50, 1500);
    await delay(100);
    const result = await lameduck.shutdown('test');
    expect(result.drainDelay.endedBy).toBe('quiet');
    expect(result.drainDelay.ms).toBeLessThan(1000);
    await probes.done;
  });

  it('traffic until the maximum: the maximum ends it', async () => {
    const { lameduck } = createTestLameduck({
      drainDelayMs: 900,
      drainDelayMinMs: 100,
      drainQuietMs: 500,
      exitOnStopped: false,
    });
    const s = await app(lameduck);
    const load = steadyNewConnections(s, '/orders', 40, 1300);
    await delay(50);
    const result = await lameduck.shutdown('test');
    await load.done;
    expect(result.drainDelay.endedBy).toBe('maximum');
    expect(result.drainDelay.ms).toBeGreaterThanOrEqual(895);
    expect(result.drainDelay.ms).toBeLessThan(1500);
  });

  it('traffic on an admin server does not count', async () => {
    const { lameduck } = createTestLameduck({
      drainDelayMs: 6000,
      drainDelayMinMs: 200,
      drainQuietMs: 400,
      exitOnStopped: false,
    });
    await app(lameduck);
    const admin = await server((_req, res) => res.end('metrics'));
    lameduck.attach(admin, { role: 'admin' });
    const scrapes = steadyNewConnections(admin, '/metrics', 50, 1500);
    await delay(100);
    const result = await lameduck.shutdown('test');
    expect(result.drainDelay.endedBy).toBe('quiet');
    expect(result.drainDelay.ms).toBeLessThan(1000);
    await scrapes.done;
  });

  it('options: the minimum comes from LAMEDUCK_DRAIN_DELAY_MIN_MS, may not exceed the maximum; the budget uses the maximum', () => {
    const resolved = resolveOptions({
      env: {
        LAMEDUCK_DRAIN_DELAY_MS: '10000',
        LAMEDUCK_DRAIN_DELAY_MIN_MS: '1000',
        LAMEDUCK_DRAIN_QUIET_MS: '500',
      },
    });
    expect(resolved).toMatchObject({ drainDelayMs: 10_000, drainDelayMinMs: 1000, drainQuietMs: 500 });
    expect(() => resolveOptions({ drainDelayMs: 1000, drainDelayMinMs: 2000 })).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }),
    );
    expect(() => resolveOptions({ env: { LAMEDUCK_DRAIN_DELAY_MIN_MS: 'soon' } })).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_ENV }),
    );
    // 20 s maximum + 10 + 5 + 2 = 37 s > 30 s, whatever the minimum.
    expect(() => createTestLameduck({ drainDelayMs: 20_000, drainDelayMinMs: 1000 })).toThrow(
      expect.objectContaining({ code: ErrorCodes.BUDGET_EXCEEDED }),
    );
  });
});

import { type H2LoadCounts, selfSignedCertificate, sleep, startH2Load } from '@lameduck/contract';
import type { ShutdownResult } from '@lameduck/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { lameduck } from '../src/index.js';
import { addRoutes } from './harness.js';

const MAX_STREAM_ID = 2 ** 31 - 1;
const DRAIN_DELAY_MS = 600;
const { key, cert } = selfSignedCertificate();
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Secure = 'h2c' | 'h2';

/** A Fastify `http2: true` app (TLS with `https` for h2) on 127.0.0.1, port 0. */
async function startH2App(kind: Secure, withLameduck: boolean) {
  const app: FastifyInstance = (kind === 'h2'
    ? Fastify({ http2: true, https: { key, cert } })
    : Fastify({ http2: true })) as unknown as FastifyInstance;
  const exits: number[] = [];
  if (withLameduck) {
    await app.register(lameduck, {
      drainDelayMs: DRAIN_DELAY_MS,
      drainTimeoutMs: 3000,
      signals: false,
      summary: false,
      env: {},
      exit: (code) => exits.push(code),
    });
  }
  addRoutes(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  cleanups.push(async () => {
    if (withLameduck && app.lameduck.state === 'serving') app.lameduck.dispose();
    await app.close().catch(() => undefined);
  });
  return { app, exits, origin: `${kind === 'h2' ? 'https' : 'http'}://127.0.0.1:${port}` };
}

/**
 * Steady stream load on the replica; new sessions go to the other replica once the endpoint is
 * removed, half-way through the drain delay, as kube-proxy does. `stop` runs the shutdown.
 */
async function underLoad(
  kind: Secure,
  stop: (app: FastifyInstance) => Promise<unknown>,
): Promise<{ counts: H2LoadCounts; elapsed: number; result: ShutdownResult; exits: number[] }> {
  const replica = await startH2App(kind, true);
  const other = await startH2App(kind, false);
  let endpointRemoved = false;
  const load = startH2Load({
    origin: () => (endpointRemoved ? other.origin : replica.origin),
    ca: cert,
    sessions: 4,
    intervalMs: 5,
    path: (n) => (n % 2 === 0 ? '/' : '/slow?ms=40'),
  });
  cleanups.push(() => load.stop());
  await sleep(300);
  const result = new Promise<ShutdownResult>((resolve) => replica.app.lameduck.once('stopped', resolve));
  const startedAt = Date.now();
  setTimeout(() => {
    endpointRemoved = true;
  }, DRAIN_DELAY_MS / 2);
  await stop(replica.app);
  const elapsed = Date.now() - startedAt;
  await sleep(100);
  return { counts: await load.stop(), elapsed, result: await result, exits: replica.exits };
}

describe('Fastify http2: true', () => {
  it.each([
    ['h2c', 'lameduck.shutdown()'],
    ['h2', 'lameduck.shutdown()'],
    ['h2c', 'app.close()'],
    ['h2', 'app.close()'],
  ] as const)(
    '%s under steady stream load, shut down by %s: no stream fails, exit 0 within the drain delay + 1.5 s',
    async (kind, how) => {
      const { counts, elapsed, result, exits } = await underLoad(kind, (app) =>
        how === 'app.close()' ? app.close() : app.lameduck.shutdown('test'),
      );
      expect(counts.failures).toEqual([]);
      expect(counts.failed).toBe(0);
      expect(counts.ok).toBeGreaterThan(100);
      expect(result).toMatchObject({ exitCode: 0, sessionsDestroyed: 0, socketsDestroyed: 0 });
      expect(result.sessionsClosed).toBeGreaterThanOrEqual(4);
      // Served through the whole delay: Fastify's own close (and the GOAWAY that node 24's
      // http2Server.close() sends every session) came only after the drain.
      expect(result.phases.draining).toBeGreaterThanOrEqual(DRAIN_DELAY_MS - 5);
      expect(elapsed).toBeLessThan(DRAIN_DELAY_MS + 1500);
      console.info(
        `fastify ${kind} (${how}) on node ${process.version}: stopped after ${elapsed} ms; streams ${counts.ok} ok, ${counts.retried} refused and retried, ${counts.failed} failed; ${result.sessionsClosed} sessions closed`,
      );
      expect(counts.goaways).toContainEqual([0, MAX_STREAM_ID]);
      // app.close() hands the process to its caller; a shutdown that lameduck started exits.
      expect(exits).toEqual(how === 'app.close()' ? [] : [0]);
    },
  );
});

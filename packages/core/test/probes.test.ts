import { Client } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createProbeRouter,
  ErrorCodes,
  type FailReadiness,
  LameduckError,
  matchProbe,
  type ProbeResponse,
  resolveProbePaths,
  type State,
} from '../src/index.js';
import {
  closeServer,
  createTestLameduck,
  delay,
  gate,
  listen,
  nextState,
  originOf,
} from './support/harness.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function body(answer: ProbeResponse): Record<string, unknown> {
  return JSON.parse(answer.body) as Record<string, unknown>;
}

describe('probe answers in every state', () => {
  it('readiness is 503 while starting, 200 while serving, 503 from draining on; liveness is 200 throughout', async () => {
    const { lameduck } = createTestLameduck({ drainDelayMs: 50, drainTimeoutMs: 500 });
    const seen: Array<[State, Promise<ProbeResponse>, ProbeResponse]> = [];
    const record = (state: State) => seen.push([state, lameduck.readiness(), lameduck.liveness()]);
    record(lameduck.state);
    lameduck.on('state', record);
    lameduck.ready();
    await lameduck.shutdown('test');
    const table = await Promise.all(
      seen.map(async ([state, readiness, liveness]) => [
        state,
        (await readiness).statusCode,
        liveness.statusCode,
      ]),
    );
    expect(table).toEqual([
      ['starting', 503, 200],
      ['serving', 200, 200],
      ['draining', 503, 200],
      ['closing', 503, 200],
      ['cleanup', 503, 200],
      ['stopped', 503, 200],
    ]);
    for (const [state, readiness, liveness] of seen) {
      expect(body(await readiness).state).toBe(state);
      expect(body(liveness)).toEqual({ status: 'ok', state });
      for (const answer of [await readiness, liveness]) {
        expect(answer.headers['cache-control']).toBe('no-store');
        expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
      }
    }
  });

  it('the node handlers answer GET with a JSON body and HEAD with none, over a real server', async () => {
    const { lameduck } = createTestLameduck({ preStopToken: 'probe-test-token' });
    const router = createProbeRouter(lameduck, { preStopPath: '/prestop' });
    const server = await listen((req, res) => {
      if (!router(req, res)) res.end('app');
    });
    cleanups.push(() => closeServer(server));
    const client = new Client(originOf(server));
    cleanups.push(() => client.destroy().catch(() => {}));
    const get = async (path: string, method: 'GET' | 'HEAD' = 'GET') => {
      const response = await client.request({ path, method });
      return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
    };
    // Not attached: starting until ready() is called.
    const starting = await get('/readyz');
    expect(starting.status).toBe(503);
    expect(JSON.parse(starting.text)).toEqual({ status: 'unavailable', state: 'starting' });
    expect(starting.headers['cache-control']).toBe('no-store');
    lameduck.ready();
    const serving = await get('/readyz?verbose=1');
    expect(serving.status).toBe(200);
    expect(JSON.parse(serving.text)).toEqual({ status: 'ok', state: 'serving' });
    const head = await get('/readyz', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(serving.text)));
    const live = await get('/livez');
    expect(live.status).toBe(200);
    expect(live.headers['content-type']).toBe('application/json; charset=utf-8');
    expect((await get('/livez', 'HEAD')).text).toBe('');
    expect((await get('/other')).text).toBe('app');
  });
});

describe('readiness checks', () => {
  it('runs async checks in parallel while serving; a failing, throwing or slow check gives 503 naming it', async () => {
    const { lameduck } = createTestLameduck();
    lameduck.ready();
    const started: string[] = [];
    const slowRelease = gate();
    lameduck.addReadinessCheck('db', async () => {
      started.push('db');
      await delay(20);
      return true;
    });
    lameduck.addReadinessCheck('cache', () => {
      started.push('cache');
      return undefined;
    });
    const ok = await lameduck.readiness();
    expect(ok.statusCode).toBe(200);
    expect(body(ok).checks).toEqual({ db: 'ok', cache: 'ok' });

    const removeFalse = lameduck.addReadinessCheck('queue', () => false);
    expect((await lameduck.readiness()).statusCode).toBe(503);
    expect((body(await lameduck.readiness()).checks as Record<string, string>).queue).toBe('failed');
    removeFalse();
    expect((await lameduck.readiness()).statusCode).toBe(200);

    const removeThrow = lameduck.addReadinessCheck('broker', async () => {
      throw new Error('broker down');
    });
    const thrown = await lameduck.readiness();
    expect(thrown.statusCode).toBe(503);
    expect((body(thrown).checks as Record<string, string>).broker).toBe('failed: broker down');
    removeThrow();

    lameduck.addReadinessCheck(
      'slow',
      async () => {
        started.push('slow');
        await slowRelease.promise;
      },
      { timeoutMs: 150 },
    );
    started.length = 0;
    const before = Date.now();
    const slow = await lameduck.readiness();
    const elapsed = Date.now() - before;
    slowRelease.open();
    expect(slow.statusCode).toBe(503);
    expect((body(slow).checks as Record<string, string>).slow).toBe('timed out after 150 ms');
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(2000);
    // All three started before the slow one gave up: they run in parallel.
    expect(started.sort()).toEqual(['cache', 'db', 'slow']);
  });

  it('checks do not run once readiness has flipped: draining answers 503 at once', async () => {
    const { lameduck } = createTestLameduck({ drainDelayMs: 100 });
    lameduck.ready();
    let calls = 0;
    lameduck.addReadinessCheck('db', () => {
      calls += 1;
    });
    await lameduck.readiness();
    const result = lameduck.shutdown('test');
    expect((await lameduck.readiness()).statusCode).toBe(503);
    expect(calls).toBe(1);
    await result;
  });

  it('rejects bad check registrations with INVALID_HOOK', () => {
    const { lameduck } = createTestLameduck();
    const bad: Array<() => unknown> = [
      () => lameduck.addReadinessCheck('', () => true),
      () => lameduck.addReadinessCheck('db', 'yes' as unknown as () => unknown),
      () => lameduck.addReadinessCheck('db', () => true, { timeoutMs: 0 }),
      () => lameduck.addReadinessCheck('db', () => true, { timeoutMs: Number.NaN }),
    ];
    for (const call of bad) {
      expect(call).toThrow(LameduckError);
      try {
        call();
      } catch (error) {
        expect((error as LameduckError).code).toBe(ErrorCodes.INVALID_HOOK);
      }
    }
  });
});

describe('failReadiness', () => {
  /** Readiness over HTTP at 100 ms into a 500 ms drain delay, and via readiness() at closing. */
  async function readinessDuringDelay(mode: FailReadiness): Promise<[number, number]> {
    const { lameduck } = createTestLameduck({ drainDelayMs: 500, drainTimeoutMs: 500, failReadiness: mode });
    const server = await listen((req, res) => lameduck.readinessHandler(req, res));
    cleanups.push(() => closeServer(server));
    lameduck.attach(server);
    const atClosing = nextState(lameduck, 'closing').then(() => lameduck.readiness());
    const result = lameduck.shutdown('test');
    await delay(100);
    const client = new Client(originOf(server));
    cleanups.push(() => client.destroy().catch(() => {}));
    const during = await client.request({ path: '/readyz', method: 'GET' });
    await during.body.text();
    const closing = await atClosing;
    await result;
    return [during.statusCode, closing.statusCode];
  }

  it.each([
    ['immediately', 503, 503],
    ['after-drain-delay', 200, 503],
    ['never', 200, 200],
  ] as const)('%s: %i during the drain delay, %i once the listener closed', async (mode, during, closing) => {
    expect(await readinessDuringDelay(mode)).toEqual([during, closing]);
  });
});

describe('probe paths', () => {
  it('matches GET and HEAD on the configured paths only, ignoring the query string', () => {
    const paths = resolveProbePaths({ preStopPath: '/prestop' });
    expect(matchProbe('GET', '/readyz', paths)).toBe('readiness');
    expect(matchProbe('HEAD', '/livez?x=1', paths)).toBe('liveness');
    expect(matchProbe('GET', '/prestop', paths)).toBe('preStop');
    expect(matchProbe('POST', '/readyz', paths)).toBeUndefined();
    expect(matchProbe('GET', '/readyz/extra', paths)).toBeUndefined();
    const off = resolveProbePaths({ readinessPath: false });
    expect(matchProbe('GET', '/readyz', off)).toBeUndefined();
    expect(resolveProbePaths().preStopPath).toBe(false);
  });

  it.each(['readyz', '/ready z', '/readyz?x', 42])('rejects path %o with INVALID_OPTION', (value) => {
    try {
      resolveProbePaths({ readinessPath: value as string });
      expect.unreachable();
    } catch (error) {
      expect((error as LameduckError).code).toBe(ErrorCodes.INVALID_OPTION);
    }
  });
});

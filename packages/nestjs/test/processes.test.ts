import { setTimeout as sleep } from 'node:timers/promises';
import { killServerProcesses, startServerProcess } from '@lameduck/contract';
import { Pool } from 'undici';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compileFixture, type ModuleFormat } from './utils/compile-fixture.js';
import { killPid1Processes, startAsPid1 } from './utils/pid1.js';
import { platforms } from './utils/platforms.js';

const formats: ModuleFormat[] = ['commonjs', 'module'];
const mains = new Map<ModuleFormat, string>();

beforeAll(async () => {
  // The fixture imports @lameduck/nestjs from dist: the root build (or `npx tsup`) runs first.
  const built = await Promise.all(formats.map(compileFixture));
  for (const [i, format] of formats.entries()) mains.set(format, built[i]!);
}, 120_000);

afterEach(async () => {
  killPid1Processes();
  await killServerProcesses();
});

const SLOW_MS = 900;
const IN_FLIGHT = 6;
const DRAIN_DELAY_MS = 300;

interface Answer {
  status: number;
  body: string;
  connection: string | string[] | undefined;
}

/** Sends IN_FLIGHT slow requests on separate keep-alive connections; resolves once they are in flight. */
async function slowRequests(url: string): Promise<{ answers: Promise<Answer[]>; close(): Promise<void> }> {
  const pool = new Pool(url, { connections: IN_FLIGHT });
  const answers = Promise.all(
    Array.from({ length: IN_FLIGHT }, () =>
      pool.request({ path: `/slow?ms=${SLOW_MS}`, method: 'GET' }).then(
        async (res) => ({
          status: res.statusCode,
          body: await res.body.text(),
          connection: res.headers.connection,
        }),
        (error: Error & { code?: string }) => ({
          status: 0,
          body: error.code ?? error.message,
          connection: '',
        }),
      ),
    ),
  );
  await sleep(200);
  return { answers, close: () => pool.destroy() };
}

function eventsOf(lines: Record<string, unknown>[]): string[] {
  return lines.map((line) => line.event).filter((event): event is string => typeof event === 'string');
}

const ORDER = [...Array(IN_FLIGHT).fill('request:done'), 'pool:onModuleDestroy', 'onApplicationShutdown'];
const ALL_OK = Array(IN_FLIGHT).fill({ status: 200, body: 'ok', connection: 'close' });

describe.each(formats)('a real %s Nest app', (format) => {
  describe.each(platforms)('on $name', (platform) => {
    it('on SIGTERM answers every in-flight request, then runs Nest teardown, then exits 0', async () => {
      const server = await startServerProcess(mains.get(format)!, {
        env: { FIXTURE_PLATFORM: platform.name, LAMEDUCK_DRAIN_DELAY_MS: String(DRAIN_DELAY_MS) },
        timeoutMs: 30_000,
      });
      const load = await slowRequests(server.url);
      try {
        const signalledAt = server.signal('SIGTERM');
        const answers = await load.answers;
        const exit = await server.exited;
        const exitMs = exit.at - signalledAt;

        expect(exit).toMatchObject({ code: 0, signal: null });
        expect(answers).toEqual(ALL_OK);
        expect(eventsOf(server.jsonLines())).toEqual(ORDER);
        expect(server.jsonLines().find((line) => line.event === 'onApplicationShutdown')?.signal).toBe(
          'SIGTERM',
        );
        // The slow requests had ~700 ms left when SIGTERM came.
        expect(exitMs).toBeGreaterThanOrEqual(SLOW_MS - 200 - 50);
        expect(exitMs).toBeLessThan(10_000);
        console.log(
          `[${format} ${platform.name}] ${answers.filter((r) => r.status === 200).length}/${IN_FLIGHT} in-flight requests answered, ${answers.filter((r) => r.status !== 200).length} failed; SIGTERM→exit ${exitMs} ms, exit code ${exit.code}`,
        );
      } finally {
        await load.close();
      }
    });

    it('a second SIGTERM during the drain exits at once with the force exit code', async () => {
      const server = await startServerProcess(mains.get(format)!, {
        env: { FIXTURE_PLATFORM: platform.name, LAMEDUCK_DRAIN_DELAY_MS: '5000' },
        timeoutMs: 30_000,
      });
      server.signal('SIGTERM');
      await sleep(200);
      const secondAt = server.signal('SIGTERM');
      const exit = await server.exited;
      expect(exit).toMatchObject({ code: 130, signal: null });
      expect(exit.at - secondAt).toBeLessThan(3000);
    });
  });
});

describe.each(platforms)('as PID 1 of a container-like PID namespace, on $name', (platform) => {
  // With a leftover timer the process only ends by exit(): an empty event loop does not end it.
  const env = {
    FIXTURE_PLATFORM: platform.name,
    LAMEDUCK_DRAIN_DELAY_MS: String(DRAIN_DELAY_MS),
    FIXTURE_LEFTOVER_TIMER: '1',
  };

  it.each([
    ['lameduck owns SIGTERM: drains, tears Nest down and exits 0', undefined],
    [
      "Nest's enableShutdownHooks() owns SIGTERM (lameduck signals: false): still drains first and exits 0",
      'nest-hooks',
    ],
    [
      'enableShutdownHooks() called after listen(), too late to be refused: still drains first and exits 0',
      'late-nest-hooks',
    ],
  ])('%s', async (_title, mode) => {
    const app = await startAsPid1(
      mains.get('commonjs')!,
      mode === undefined ? env : { ...env, FIXTURE_MODE: mode },
    );
    const load = await slowRequests(app.url);
    process.kill(app.pid, 'SIGTERM');
    expect(await load.answers).toEqual(ALL_OK);
    expect(await app.exited).toMatchObject({ code: 0, signal: null });
    expect(eventsOf(app.jsonLines())).toEqual(ORDER);
    await load.close();
  });

  it('control: Nest alone re-raises SIGTERM after its teardown, which PID 1 ignores, so it never exits', async () => {
    const app = await startAsPid1(mains.get('commonjs')!, { ...env, FIXTURE_MODE: 'nest-only' });
    process.kill(app.pid, 'SIGTERM');
    // Nest finishes its teardown, re-raises SIGTERM, and PID 1 ignores it.
    for (let i = 0; i < 200 && !eventsOf(app.jsonLines()).includes('onApplicationShutdown'); i += 1) {
      await sleep(50);
    }
    expect(eventsOf(app.jsonLines())).toContain('onApplicationShutdown');
    const outcome = await Promise.race([
      app.exited.then(() => 'exited'),
      sleep(1500).then(() => 'still running'),
    ]);
    expect(outcome).toBe('still running');
  });
});

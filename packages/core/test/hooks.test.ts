import { Client } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorCodes, type LameduckError, type Logger, type State, silentLogger } from '../src/index.js';
import { closeServer, createTestLameduck, delay, gate, listen, originOf } from './support/harness.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function recordingLogger(): Logger & { lines: Array<[string, object, string | undefined]> } {
  const lines: Array<[string, object, string | undefined]> = [];
  const at = (level: string) => (obj: object, msg?: string) => lines.push([level, obj, msg]);
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('cleanup hooks', () => {
  it('run after HTTP has drained, last registered first', async () => {
    const release = gate();
    const server = await listen(async (_req, res) => {
      await release.promise;
      res.end('done');
    });
    cleanups.push(() => closeServer(server));
    const { lameduck, exits } = createTestLameduck({ drainDelayMs: 100, drainTimeoutMs: 2000 });
    lameduck.attach(server);
    const order: string[] = [];
    let responseFinished = false;
    const seen: Array<[State, boolean, boolean]> = [];
    for (const name of ['db', 'queue', 'telemetry']) {
      lameduck.onShutdown(name, async () => {
        seen.push([lameduck.state, server.listening, responseFinished]);
        await delay(10);
        order.push(name);
      });
    }
    const client = new Client(originOf(server));
    cleanups.push(() => client.destroy().catch(() => {}));
    const pending = client.request({ path: '/', method: 'GET' }).then(async (response) => {
      await response.body.text();
      responseFinished = true;
    });
    await delay(30);
    const result = lameduck.shutdown('test');
    await delay(250);
    expect(order).toEqual([]);
    release.open();
    await pending;
    const summary = await result;
    expect(order).toEqual(['telemetry', 'queue', 'db']);
    expect(seen).toEqual([
      ['cleanup', false, true],
      ['cleanup', false, true],
      ['cleanup', false, true],
    ]);
    expect(summary.hooks.map((hook) => [hook.name, hook.ok])).toEqual([
      ['telemetry', true],
      ['queue', true],
      ['db', true],
    ]);
    expect(summary.exitCode).toBe(0);
    expect(exits).toEqual([0]);
  });

  it('a hook that throws is logged, the others still run, and the exit code is 1', async () => {
    const logger = recordingLogger();
    const { lameduck, exits } = createTestLameduck({ logger });
    const ran: string[] = [];
    lameduck.onShutdown('first', () => ran.push('first'));
    lameduck.onShutdown('broken', () => {
      throw new Error('pool already closed');
    });
    lameduck.onShutdown('last', async () => ran.push('last'));
    const summary = await lameduck.shutdown('test');
    expect(ran).toEqual(['last', 'first']);
    expect(summary.hooks.find((hook) => hook.name === 'broken')).toMatchObject({
      ok: false,
      error: 'pool already closed',
    });
    expect(summary.exitCode).toBe(1);
    expect(exits).toEqual([1]);
    expect(
      logger.lines.some(([level, obj]) => level === 'error' && (obj as { hook?: string }).hook === 'broken'),
    ).toBe(true);
  });

  it('a hook that hangs is cut off at its own timeout, the others still run, and the exit code is 1', async () => {
    const { lameduck, exits } = createTestLameduck({ hookTimeoutMs: 1000 });
    const ran: string[] = [];
    lameduck.onShutdown('after', () => ran.push('after'));
    lameduck.onShutdown('hangs', () => new Promise(() => {}), { timeoutMs: 200 });
    lameduck.onShutdown('before', () => ran.push('before'));
    const startedAt = Date.now();
    const summary = await lameduck.shutdown('test');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(190);
    expect(Date.now() - startedAt).toBeLessThan(1000);
    expect(ran).toEqual(['before', 'after']);
    const hung = summary.hooks.find((hook) => hook.name === 'hangs');
    expect(hung?.ok).toBe(false);
    expect(hung?.error).toBe('timed out after 200 ms');
    expect(hung?.durationMs).toBeGreaterThanOrEqual(190);
    expect(summary.exitCode).toBe(1);
    expect(exits).toEqual([1]);
  });

  it('hooks share the cleanup timeout: a hook left without time is skipped and counted as failed', async () => {
    const { lameduck } = createTestLameduck({ cleanupTimeoutMs: 300, hookTimeoutMs: 200 });
    lameduck.onShutdown('third', () => new Promise(() => {}));
    lameduck.onShutdown('second', () => new Promise(() => {}));
    lameduck.onShutdown('first', () => new Promise(() => {}));
    const summary = await lameduck.shutdown('test');
    expect(summary.hooks.map((hook) => [hook.name, hook.ok])).toEqual([
      ['first', false],
      ['second', false],
      ['third', false],
    ]);
    // first got its 200 ms, second only the ~100 ms left, third (next to) none.
    expect(summary.hooks[1]?.durationMs).toBeLessThan(190);
    expect(summary.hooks[2]?.durationMs).toBeLessThan(20);
    expect(summary.phases.cleanup).toBeGreaterThanOrEqual(290);
    expect(summary.phases.cleanup).toBeLessThan(1500);
    expect(summary.exitCode).toBe(1);
  });

  it('the function onShutdown() returns unregisters the hook', async () => {
    const { lameduck } = createTestLameduck();
    const ran: string[] = [];
    lameduck.onShutdown('kept', () => ran.push('kept'));
    const remove = lameduck.onShutdown('removed', () => ran.push('removed'));
    remove();
    remove();
    const summary = await lameduck.shutdown('test');
    expect(ran).toEqual(['kept']);
    expect(summary.hooks.map((hook) => hook.name)).toEqual(['kept']);
  });

  it.each([
    ['an empty name', '', () => {}, undefined],
    ['a non-function', 'db', 'close', undefined],
    ['a zero timeout', 'db', () => {}, 0],
    ['a negative timeout', 'db', () => {}, -5],
    ['an infinite timeout', 'db', () => {}, Number.POSITIVE_INFINITY],
    ['a timeout above cleanupTimeoutMs', 'db', () => {}, 60_000],
  ])('rejects %s with INVALID_HOOK', (_label, name, fn, timeoutMs) => {
    const { lameduck } = createTestLameduck();
    try {
      lameduck.onShutdown(name, fn as () => unknown, timeoutMs === undefined ? {} : { timeoutMs });
      expect.unreachable();
    } catch (error) {
      expect((error as LameduckError).code).toBe(ErrorCodes.INVALID_HOOK);
    }
  });
});

describe('logging', () => {
  it('writes exactly one summary line at the end, through the injected logger', async () => {
    const logger = recordingLogger();
    const { lameduck } = createTestLameduck({ logger });
    lameduck.onShutdown('db', () => {});
    await lameduck.shutdown('test');
    const summaries = logger.lines.filter(([, obj]) => 'summary' in obj);
    expect(summaries).toHaveLength(1);
    const [level, obj, msg] = summaries[0]!;
    expect(level).toBe('info');
    expect((obj as { summary: { exitCode: number } }).summary.exitCode).toBe(0);
    expect(msg).toMatch(/exit code 0$/);
    // Every phase change is a log line too.
    const states = logger.lines.map(([, o]) => (o as { state?: string }).state).filter(Boolean);
    expect(states).toEqual(['draining', 'closing', 'cleanup', 'stopped']);
  });

  it('summary: false leaves the summary out', async () => {
    const logger = recordingLogger();
    const { lameduck } = createTestLameduck({ logger, summary: false });
    await lameduck.shutdown('test');
    expect(logger.lines.filter(([, obj]) => 'summary' in obj)).toHaveLength(0);
  });

  it('the default logger is silent under the test runner, whatever env is injected', async () => {
    const write = vi.spyOn(process.stderr, 'write');
    try {
      const { lameduck } = createTestLameduck({ drainDelayMs: 0 });
      await lameduck.shutdown('test');
      expect(write).not.toHaveBeenCalled();
    } finally {
      write.mockRestore();
    }
    expect(silentLogger.info({})).toBeUndefined();
  });
});

import { execFileSync } from 'node:child_process';
import { ErrorCodes, LameduckError } from '@lameduck/core';
import { describe, expect, it } from 'vitest';
import { simulate } from '../src/simulate.js';
import type { SimulationOptions } from '../src/types.js';

// Runs that cannot start fail fast with LAMEDUCK_SIMULATION_SETUP, and leave no process behind.

async function setupFailure(options: SimulationOptions): Promise<LameduckError> {
  const startedAt = performance.now();
  const error = await simulate(options).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(LameduckError);
  expect((error as LameduckError).code).toBe(ErrorCodes.SIMULATION_SETUP);
  expect(performance.now() - startedAt).toBeLessThan(15_000);
  return error as LameduckError;
}

// Replicas are PID 1 of their own PID namespace: their own process.pid is 1. They are found by
// a marker in their command line instead, unique per test.
const newMarker = () =>
  `lameduck-setup-marker-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;

/** A replica that prints a line and never becomes ready. */
const idleForever = (marker: string) => [
  process.execPath,
  '-e',
  "console.log('started'); setTimeout(() => {}, 60000)",
  marker,
];

/** A replica that prints a line, answers every request with 200, and never exits by itself. */
const readyForever = (marker: string) => [
  process.execPath,
  '-e',
  "require('node:http').createServer((_, res) => res.end('ok')).listen(Number(process.env.PORT), process.env.HOST, () => console.log('started')); setTimeout(() => {}, 60000)",
  marker,
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Live (not zombie) processes whose command line contains `marker`. */
function processesWith(marker: string): string[] {
  return execFileSync('ps', ['-eo', 'stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(marker) && !line.trim().startsWith('Z'));
}

describe('simulate set-up failures', () => {
  it('a command that does not exist', async () => {
    await setupFailure({ command: ['/nonexistent/lameduck-service'] });
  });

  it('a replica that exits before it is ready', async () => {
    await setupFailure({ command: [process.execPath, '-e', 'process.exit(3)'] });
  });

  it('a replica that never answers its readiness probe, within the start timeout, and is killed', async () => {
    const marker = newMarker();
    const startedAt = performance.now();
    await setupFailure({ command: idleForever(marker), startTimeoutMs: 3000 });
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(3000);
    expect(processesWith(marker)).toEqual([]);
  });

  it('an HAProxy binary that does not exist', async () => {
    // A tiny server that is ready at once, so that the run gets as far as the balancer.
    const ready = [
      process.execPath,
      '-e',
      "require('node:http').createServer((q, s) => s.end('ok')).listen(process.env.PORT, process.env.HOST)",
    ];
    await setupFailure({ command: ready, lb: 'haproxy', haproxyPath: '/nonexistent/haproxy' });
  });

  it('an aborted run', async () => {
    const controller = new AbortController();
    const marker = newMarker();
    const started: string[] = [];
    await setupFailure({
      command: idleForever(marker),
      startTimeoutMs: 10_000,
      signal: controller.signal,
      // Aborted once both replicas run (they never become ready).
      onReplicaOutput: (_, line) => {
        started.push(line);
        if (started.length === 2) controller.abort();
      },
    });
    expect(started).toEqual(['started', 'started']);
    expect(processesWith(marker)).toEqual([]);
  });

  it('a run aborted before its replicas finished spawning', async () => {
    const controller = new AbortController();
    controller.abort();
    // The replicas finish spawning after the run gave up, before they print anything: find them
    // by a marker in their command line.
    const marker = `lameduck-abort-marker-${process.pid}-${Date.now()}`;
    await setupFailure({
      command: [process.execPath, '-e', 'setTimeout(() => {}, 60000)', marker],
      signal: controller.signal,
    });
    await sleep(1000);
    expect(processesWith(marker)).toEqual([]);
  });

  it('a run aborted during the load stops there: no deletion, no progress after the abort', async () => {
    const controller = new AbortController();
    const marker = newMarker();
    const started: string[] = [];
    const afterAbort: string[] = [];
    await setupFailure({
      command: readyForever(marker),
      deleteAfterMs: 10_000,
      onReplicaOutput: (_, line) => started.push(line),
      onProgress: (event) => {
        if (controller.signal.aborted) afterAbort.push(event.kind);
        if (event.kind === 'status' && event.message.startsWith('load:')) {
          setTimeout(() => controller.abort(), 200);
        }
      },
      signal: controller.signal,
    });
    await sleep(300);
    expect(afterAbort).toEqual([]);
    expect(started).toEqual(['started', 'started']);
    expect(processesWith(marker)).toEqual([]);
  });
});

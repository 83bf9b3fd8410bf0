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

/** A replica that prints its PID and never becomes ready. */
const idleForever = [process.execPath, '-e', 'console.log(process.pid); setTimeout(() => {}, 60000)'];

/** A replica that prints its PID, answers every request with 200, and never exits by itself. */
const readyForever = [
  process.execPath,
  '-e',
  "require('node:http').createServer((_, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1', () => console.log(process.pid)); setTimeout(() => {}, 60000)",
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Live (not zombie) processes whose command line contains `marker`. */
function processesWith(marker: string): string[] {
  return execFileSync('ps', ['-eo', 'stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(marker) && !line.trim().startsWith('Z'));
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('simulate set-up failures', () => {
  it('a command that does not exist', async () => {
    await setupFailure({ command: ['/nonexistent/lameduck-service'] });
  });

  it('a replica that exits before it is ready', async () => {
    await setupFailure({ command: [process.execPath, '-e', 'process.exit(3)'] });
  });

  it('a replica that never answers its readiness probe, within the start timeout, and is killed', async () => {
    const pids: number[] = [];
    const startedAt = performance.now();
    await setupFailure({
      command: idleForever,
      startTimeoutMs: 500,
      onReplicaOutput: (_, line) => pids.push(Number(line)),
    });
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(500);
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
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
    setTimeout(() => controller.abort(), 300);
    const pids: number[] = [];
    await setupFailure({
      command: idleForever,
      startTimeoutMs: 10_000,
      signal: controller.signal,
      onReplicaOutput: (_, line) => pids.push(Number(line)),
    });
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
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
    const pids: number[] = [];
    const afterAbort: string[] = [];
    await setupFailure({
      command: readyForever,
      deleteAfterMs: 10_000,
      onReplicaOutput: (_, line) => pids.push(Number(line)),
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
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
  });
});

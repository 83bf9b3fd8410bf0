import { expect } from 'vitest';
import type { ShutdownResult } from '../../src/index.js';
import { type H2LoadCounts, startH2Load } from './h2-load.js';

const MAX_STREAM_ID = 2 ** 31 - 1;

export interface H2DrainRun {
  /** The replica being drained and the one new sessions go to once its endpoint is removed. */
  readonly replica: string;
  readonly other: string;
  readonly ca?: string;
  readonly drainDelayMs: number;
  /** Starts the shutdown; resolves with the core's result. */
  readonly shutdown: () => Promise<ShutdownResult>;
}

export interface H2DrainOutcome {
  readonly counts: H2LoadCounts;
  readonly result: ShutdownResult;
  /** Milliseconds from the start of the shutdown to its result. */
  readonly elapsedMs: number;
}

/**
 * Steady stream load (4 sessions, a stream every 5 ms, half of them 40 ms long) on `replica`,
 * then the shutdown; new sessions go to `other` once the endpoint is removed, half-way through
 * the drain delay (kube-proxy's lag), as in a cluster.
 */
export async function drainUnderH2Load(run: H2DrainRun): Promise<H2DrainOutcome> {
  let endpointRemoved = false;
  const load = startH2Load({
    origin: () => (endpointRemoved ? run.other : run.replica),
    ...(run.ca === undefined ? {} : { ca: run.ca }),
    sessions: 4,
    intervalMs: 5,
    path: (n) => (n % 2 === 0 ? '/' : '/slow?ms=40'),
  });
  try {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const startedAt = Date.now();
    const removal = setTimeout(() => {
      endpointRemoved = true;
    }, run.drainDelayMs / 2);
    const result = await run.shutdown();
    const elapsedMs = Date.now() - startedAt;
    clearTimeout(removal);
    await new Promise((resolve) => setTimeout(resolve, 100));
    return { counts: await load.stop(), result, elapsedMs };
  } finally {
    await load.stop();
  }
}

/**
 * What every HTTP/2 drain must show: no stream failed, the sessions went away (the first GOAWAY
 * refusing nothing, then a final one) and closed by themselves, exit code 0 after the whole drain
 * delay and within the delay + 1.5 s. Prints the numbers.
 */
export function expectCleanH2Drain(name: string, outcome: H2DrainOutcome, drainDelayMs: number): void {
  const { counts, result, elapsedMs } = outcome;
  console.info(
    `${name} on node ${process.version}: stopped after ${elapsedMs} ms (drain delay ${drainDelayMs} ms); streams ${counts.ok} ok, ${counts.retried} refused and retried, ${counts.failed} failed; ${result.sessionsClosed} sessions closed`,
  );
  expect(counts.failures).toEqual([]);
  expect(counts.failed).toBe(0);
  expect(counts.ok).toBeGreaterThan(100);
  expect(result).toMatchObject({ exitCode: 0, sessionsDestroyed: 0, socketsDestroyed: 0 });
  // The 4 sessions open at the start, and every one opened during the drain delay.
  expect(result.sessionsClosed).toBeGreaterThanOrEqual(4);
  expect(result.requestsDuringDrain).toBeGreaterThan(0);
  expect(result.phases.draining).toBeGreaterThanOrEqual(drainDelayMs - 5);
  expect(elapsedMs).toBeLessThan(drainDelayMs + 1500);
  expect(counts.goaways).toContainEqual([0, MAX_STREAM_ID]);
  expect(counts.goaways.some(([code, last]) => code === 0 && last < MAX_STREAM_ID)).toBe(true);
}

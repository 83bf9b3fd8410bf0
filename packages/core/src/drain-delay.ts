import type { Clock, DrainDelayEnd, DrainDelayOutcome } from './types.js';

/** How often counters of traffic that is not timestamped (h2 streams, WebSockets) are read. */
const COUNTER_POLL_MS = 100;

export interface DrainDelaySettings {
  /** The adaptive rule's minimum; undefined for a fixed delay of `maxMs`. */
  readonly minMs: number | undefined;
  readonly maxMs: number;
  readonly quietMs: number;
}

/**
 * When new traffic last arrived while draining. The request path only stores a timestamp (no
 * timer, no allocation); other kinds of traffic are counters the delay reads now and then.
 */
export class DrainTraffic {
  lastAt: number;

  constructor(startedAt: number) {
    this.lastAt = startedAt;
  }

  note(now: number): void {
    if (now > this.lastAt) this.lastAt = now;
  }
}

/**
 * Waits for the drain delay. Fixed (no minimum): `maxMs`. Adaptive: never before `minMs`;
 * after it, as soon as no new traffic arrived for `quietMs`; at the latest at `maxMs`.
 * `counters()` sums traffic counted elsewhere (new h2 streams, WebSockets opened): a change
 * between two reads counts as traffic at the second read.
 */
export function waitDrainDelay(
  clock: Clock,
  settings: DrainDelaySettings,
  traffic: DrainTraffic,
  counters: () => number,
): Promise<DrainDelayOutcome> {
  const startedAt = clock.now();
  const { minMs, maxMs, quietMs } = settings;
  return new Promise((resolve) => {
    const done = (endedBy: DrainDelayEnd) => resolve({ endedBy, ms: clock.now() - startedAt });
    if (minMs === undefined) {
      if (maxMs <= 0) done('maximum');
      else clock.setTimeout(() => done('maximum'), maxMs);
      return;
    }
    let seen = counters();
    const check = () => {
      const now = clock.now();
      const count = counters();
      if (count !== seen) {
        seen = count;
        traffic.note(now);
      }
      const elapsed = now - startedAt;
      if (now - traffic.lastAt >= quietMs && elapsed >= minMs) {
        done('quiet');
        return;
      }
      if (elapsed >= maxMs) {
        done('maximum');
        return;
      }
      const quietAt = traffic.lastAt + quietMs;
      const next = Math.min(quietAt, now + COUNTER_POLL_MS, startedAt + maxMs);
      clock.setTimeout(check, Math.max(1, next - now));
    };
    clock.setTimeout(check, minMs);
  });
}

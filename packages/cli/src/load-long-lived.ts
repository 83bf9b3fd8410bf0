import type { LongLivedStats } from './types.js';

/** What a long-lived load (WebSockets, SSE streams) needs besides the balancer's address. */
export interface LongLivedOptions {
  readonly host: string;
  readonly port: number;
  /** How many clients stay connected. */
  readonly clients: number;
  /** The pod a client's connection went to, by its local port (undefined when unknown). */
  readonly podOf: (clientPort: number) => Promise<string | undefined>;
}

/** A load of clients that stay connected and reconnect when the server closes them. */
export interface LongLivedLoad {
  readonly description: string;
  /** Opens every client; resolves once each one is connected (or failed its first attempt). */
  open(): Promise<void>;
  /** What the clients saw; `deletedPod` is the pod that was deleted. */
  stats(deletedPod: string): LongLivedStats;
  /** Closes every client; none reconnects any more. */
  close(): Promise<void>;
}

/**
 * The reconnect policy of a real client: exponential back-off with jitter, from 250 ms up to
 * 5 s (socket.io, reconnecting-websocket and most SDKs do about this). A clean close is
 * retried at once with the same jitter, so reconnections spread out.
 */
export function reconnectDelayMs(attempt: number): number {
  const ceiling = Math.min(5000, 250 * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling * (0.5 + Math.random() * 0.5));
}

/** Clients that connect at the same time when a load opens: a fleet does not arrive in one burst. */
const OPENING_BATCH = 50;

/** Runs `connect` `count` times, at most {@link OPENING_BATCH} at once. */
export async function openInBatches(count: number, connect: () => Promise<void>): Promise<void> {
  for (let opened = 0; opened < count; opened += OPENING_BATCH) {
    await Promise.all(Array.from({ length: Math.min(OPENING_BATCH, count - opened) }, connect));
  }
}

/** The pod of a fresh connection, or undefined when the balancer cannot tell within 1 s. */
export function podWithin(
  podOf: LongLivedOptions['podOf'],
  clientPort: number | undefined,
): Promise<string | undefined> {
  if (clientPort === undefined) return Promise.resolve(undefined);
  return Promise.race([
    podOf(clientPort),
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 1000).unref()),
  ]);
}

/** One end of one connection, as a client saw it. */
interface Ending {
  /** The pod the connection was on. */
  readonly pod: string | undefined;
  /** `1001`, `1006`… for WebSockets; `end`, `error`, `status 503`… for streams. */
  readonly how: string;
  readonly abnormal: boolean;
  readonly at: number;
}

/** One reconnection after a server-side end. */
interface Reconnection {
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly delayMs: number;
}

/** Collects what the clients of one long-lived load saw and sums it up. */
export class LongLivedRecorder {
  private readonly endings: Ending[] = [];
  private readonly reconnections: Reconnection[] = [];
  failedAttempts = 0;
  open = 0;

  ended(pod: string | undefined, how: string, abnormal: boolean): void {
    this.endings.push({ pod, how, abnormal, at: performance.now() });
  }

  reconnected(from: string | undefined, to: string | undefined, endedAt: number): void {
    this.reconnections.push({ from, to, delayMs: performance.now() - endedAt });
  }

  stats(clients: number, deletedPod: string): LongLivedStats {
    const endings: Record<string, number> = {};
    let abnormal = 0;
    let onDeletedPod = 0;
    for (const ending of this.endings) {
      endings[ending.how] = (endings[ending.how] ?? 0) + 1;
      if (ending.abnormal) abnormal += 1;
      if (ending.pod === deletedPod) onDeletedPod += 1;
    }
    const fromDeleted = this.reconnections.filter((r) => r.from === deletedPod);
    const delays = fromDeleted.map((r) => r.delayMs).sort((a, b) => a - b);
    const at = (q: number) =>
      Math.round(delays[Math.min(delays.length - 1, Math.floor(q * delays.length))] ?? 0);
    return {
      clients,
      endings,
      abnormal,
      endedOnDeletedPod: onDeletedPod,
      reconnects: this.reconnections.length,
      reconnectedElsewhere: fromDeleted.filter((r) => r.to !== undefined && r.to !== deletedPod).length,
      reconnectedToDeletedPod: this.reconnections.filter((r) => r.to === deletedPod && r.from === deletedPod)
        .length,
      reconnectDelayMs: { p50: at(0.5), max: Math.round(delays.at(-1) ?? 0) },
      failedAttempts: this.failedAttempts,
      openAtEnd: this.open,
    };
  }
}

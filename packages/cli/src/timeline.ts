import type { TimelineEvent, TimelineKind } from './types.js';

/**
 * Records what happened when. Times are `performance.now()` values; the report shows them
 * relative to the pod's deletion (the first `deleted` event).
 */
export class Timeline {
  private readonly origin = performance.now();
  private deletedAt: number | undefined;
  private readonly entries: { at: number; kind: TimelineKind; detail: string }[] = [];

  constructor(private readonly onEvent?: (event: TimelineEvent) => void) {}

  /** Records an event and returns its `performance.now()` time. */
  mark(kind: TimelineKind, detail = ''): number {
    const at = performance.now();
    if (kind === 'deleted' && this.deletedAt === undefined) this.deletedAt = at;
    this.entries.push({ at, kind, detail });
    this.onEvent?.({ atMs: this.relative(at), kind, detail });
    return at;
  }

  /** The `performance.now()` time of the first event of a kind, or undefined. */
  first(kind: TimelineKind): number | undefined {
    return this.entries.find((entry) => entry.kind === kind)?.at;
  }

  /** Milliseconds since the deletion (since the start while nothing was deleted). */
  relative(at: number): number {
    return Math.round(at - (this.deletedAt ?? this.origin));
  }

  events(): TimelineEvent[] {
    return [...this.entries]
      .sort((a, b) => a.at - b.at)
      .map((entry) => ({ atMs: this.relative(entry.at), kind: entry.kind, detail: entry.detail }));
  }
}

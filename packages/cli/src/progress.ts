import type { ProgressUpdate, TimelineKind } from './types.js';

export interface ProgressSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export interface Progress {
  onProgress(update: ProgressUpdate): void;
  onReplicaOutput(pod: string, line: string): void;
  /** Clears the live line. */
  done(): void;
}

const PLAIN_TICK_MS = 1000;

const WORDS: Partial<Record<TimelineKind, string>> = {
  deleted: 'deleted',
  sigterm: 'SIGTERM',
  'readiness-failed': 'readiness failing',
  'balancer-marked-down': 'balancer marked it down',
  'endpoint-removed': 'endpoint removed',
  'listener-closed': 'listener closed',
  sigkill: 'SIGKILL',
  exited: 'exited',
};

function tickLine(update: Extract<ProgressUpdate, { kind: 'tick' }>): string {
  const seconds = (update.elapsedMs / 1000).toFixed(1).padStart(5);
  return `${seconds}s  ${update.phase.padEnd(10)} ok ${update.ok}  failed ${update.failed}  in flight ${update.inFlight}`;
}

/**
 * Progress on stderr: on a TTY one live line rewritten in place, with events printed above
 * it; elsewhere plain lines (events as they happen, counts once a second).
 */
export function createProgress(sink: ProgressSink, options: { verbose: boolean }): Progress {
  const tty = sink.isTTY === true;
  let live = '';
  let lastPlainTick = Number.NEGATIVE_INFINITY;
  const println = (line: string) => {
    if (tty && live !== '') sink.write('\r\x1b[2K');
    sink.write(`${line}\n`);
    if (tty && live !== '') sink.write(live);
  };
  return {
    onProgress(update) {
      switch (update.kind) {
        case 'status':
          println(`lameduck: ${update.message}`);
          break;
        case 'event': {
          const detail = update.event.detail === '' ? '' : ` (${update.event.detail})`;
          println(
            `  ${String(update.event.atMs).padStart(6)} ms  ${WORDS[update.event.kind] ?? update.event.kind}${detail}`,
          );
          break;
        }
        case 'tick':
          if (tty) {
            live = tickLine(update);
            sink.write(`\r\x1b[2K${live}`);
          } else if (update.elapsedMs - lastPlainTick >= PLAIN_TICK_MS) {
            lastPlainTick = update.elapsedMs;
            sink.write(`${tickLine(update)}\n`);
          }
          break;
      }
    },
    onReplicaOutput(pod, line) {
      if (options.verbose) println(`[${pod}] ${line}`);
    },
    done() {
      if (tty && live !== '') sink.write('\r\x1b[2K');
      live = '';
    },
  };
}

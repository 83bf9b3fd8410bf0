import { plural } from './plural.js';
import type { ShutdownResult } from './types.js';

/** The one-line human summary printed at the end of the sequence. */
export function summaryLine(result: ShutdownResult): string {
  const hooksOk = result.hooks.filter((hook) => hook.ok).length;
  const hookTimes = result.hooks.map(
    (hook) => `${hook.name} ${hook.ok ? 'ok' : 'FAILED'} ${hook.durationMs} ms`,
  );
  return [
    `lameduck: stopped (${result.reason}) in ${result.totalMs} ms`,
    `draining ${result.phases.draining} ms, closing ${result.phases.closing} ms, cleanup ${result.phases.cleanup} ms`,
    `${plural(result.requestsDuringDrain, 'request')} served while draining`,
    `${plural(result.socketsClosed, 'socket')} closed gracefully, ${result.socketsDestroyed} destroyed${result.socketsClosedMidHeaders > 0 ? `, ${plural(result.socketsClosedMidHeaders, 'socket')} closed with request headers unfinished` : ''}`,
    `${plural(result.webSocketsClosed, 'WebSocket')} closed, ${result.webSocketsTerminated} terminated`,
    `${plural(result.streamsEnded, 'stream')} ended`,
    ...(result.sessionsClosed + result.sessionsDestroyed > 0
      ? [
          `${plural(result.sessionsClosed, 'HTTP/2 session')} closed gracefully, ${result.sessionsDestroyed} destroyed`,
        ]
      : []),
    `hooks ${hooksOk}/${result.hooks.length} ok${hookTimes.length ? ` (${hookTimes.join(', ')})` : ''}`,
    `exit code ${result.exitCode}`,
  ].join('; ');
}

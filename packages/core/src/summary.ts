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
    `draining ${result.phases.draining} ms (drain delay ended by ${result.drainDelay.endedBy === 'quiet' ? 'quiet' : 'maximum'} after ${result.drainDelay.ms} ms), closing ${result.phases.closing} ms, cleanup ${result.phases.cleanup} ms`,
    `${plural(result.requestsDuringDrain, 'request')} served while draining`,
    `${plural(result.socketsClosed, 'socket')} closed gracefully, ${result.socketsDestroyed} destroyed${result.socketsClosedMidHeaders > 0 ? `, ${plural(result.socketsClosedMidHeaders, 'socket')} closed with request headers unfinished` : ''}`,
    `${plural(result.webSocketsClosed, 'WebSocket')} closed, ${result.webSocketsTerminated} terminated`,
    `${plural(result.streamsEnded, 'stream')} ended`,
    ...(result.sessionsClosed + result.sessionsDestroyed > 0
      ? [
          `${plural(result.sessionsClosed, 'HTTP/2 session')} closed gracefully, ${result.sessionsDestroyed} destroyed`,
        ]
      : []),
    ...adminPart(result),
    `hooks ${hooksOk}/${result.hooks.length} ok${hookTimes.length ? ` (${hookTimes.join(', ')})` : ''}`,
    `exit code ${result.exitCode}`,
  ].join('; ');
}

/** The admin servers' part of the summary, when any was attached. */
function adminPart(result: ShutdownResult): string[] {
  const admin = result.servers.find((server) => server.role === 'admin');
  if (admin === undefined) return [];
  const closed =
    admin.listenerClosedAtMs === undefined ? 'never closed' : `closed last at ${admin.listenerClosedAtMs} ms`;
  return [`admin servers: ${plural(admin.requestsDuringDrain, 'request')} while draining, ${closed}`];
}

import { request } from 'undici';
import { httpGet } from './net-util.js';
import { type Replica, setupError } from './replicas.js';

/**
 * Checks, on one ready replica and before any load, the routes the load will use: the slow
 * route (`GET <slowPath>?ms=1`) and, for `--method POST`, that `POST /` echoes its JSON body.
 * Resolves with the slow path to use (null: the service has none, so no slow requests) and a
 * line for the progress output when something is missing.
 */
export async function checkRoutes(
  pod: Replica,
  settings: { slowPath: string; method: 'GET' | 'POST'; longRequestMs: number | null; slowRatio: number },
): Promise<{ slowPath: string | null; note?: string }> {
  if (settings.method === 'POST') {
    const sent = JSON.stringify({ check: 'lameduck simulate' });
    const answer = await request(`http://${pod.host}:${pod.port}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', connection: 'close' },
      body: sent,
      headersTimeout: 5000,
      bodyTimeout: 5000,
    }).then(
      async (response) => ({ status: response.statusCode, text: await response.body.text() }),
      (error: Error) => ({ status: 0, text: error.message }),
    );
    if (answer.status < 200 || answer.status >= 300 || normalized(answer.text) !== sent) {
      throw setupError(
        `--method POST sends a small JSON body to POST / and needs the service to answer 2xx echoing that JSON; ${pod.name} answered ${answer.status === 0 ? answer.text : `HTTP ${answer.status}`}. Add such a route, or run without --method POST.`,
      );
    }
  }
  const answer = await httpGet(pod.port, `${settings.slowPath}?ms=1`, 5000, {}, pod.host);
  if (answer.status !== undefined && answer.status >= 200 && answer.status < 300)
    return { slowPath: settings.slowPath };
  const seen = answer.status !== undefined ? `HTTP ${answer.status}` : (answer.error ?? 'no answer');
  if (settings.longRequestMs !== null) {
    throw setupError(
      `--long-request-ms sends GET ${settings.slowPath}?ms=N, and ${pod.name} answered ${seen} to GET ${settings.slowPath}?ms=1. Add the route (it answers after N ms), name yours with --slow-path, or drop --long-request-ms.`,
    );
  }
  return {
    slowPath: null,
    note: `GET ${settings.slowPath}?ms=1 answered ${seen} on ${pod.name}: the service has no slow route, so this run sends no slow requests. Add one (GET ${settings.slowPath}?ms=N answers after N ms) or name yours with --slow-path.`,
  };
}

function normalized(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}

import { ErrorCodes } from '../errors.js';
import type { Clock, Logger } from '../types.js';

/** At most one repeat of the "still not ready" warning in this long. */
export const NO_SERVER_REPEAT_MS = 10_000;

const FIX =
  "Call lameduck.attach(server) with the server app.listen() returns, or start the app with the adapter's listen(app, { port }).";

/**
 * Watches for traffic while no server is attached: `app.listen(3000)` without `attach()` leaves
 * readiness at 503 "starting" forever (the pod never becomes ready) and the drain cannot close
 * the listener. Warns once at the first request or probe, then again for probes answered 503
 * for that reason, at most once every NO_SERVER_REPEAT_MS.
 */
export class NoServerWatch {
  private warned = false;
  private lastProbeWarning = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {}

  requestSeen(): void {
    if (this.warned) return;
    this.warned = true;
    this.logger.warn(
      { code: ErrorCodes.MISUSE, check: 'no-server' },
      `lameduck: a request arrived but no server is attached, so the shutdown cannot close the listener or find idle connections. ${FIX}`,
    );
  }

  /** `notReady`: the probe is answered 503 because the instance is still starting. */
  probeSeen(notReady: boolean): void {
    if (!notReady) {
      this.requestSeen();
      return;
    }
    const now = this.clock.now();
    if (this.warned && now - this.lastProbeWarning < NO_SERVER_REPEAT_MS) return;
    this.warned = true;
    this.lastProbeWarning = now;
    this.logger.warn(
      { code: ErrorCodes.MISUSE, check: 'no-server' },
      `lameduck: readiness answered 503 "starting" because no server is attached: readiness turns 200 once an attached server listens, so this pod never becomes ready. ${FIX}`,
    );
  }
}

import { ErrorCodes, type Lameduck, LameduckError } from '@lameduck/core';
import type { INestApplication } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { nestIsHandlingSignal, nestSignalFieldKnown } from './nest-signals.js';

type BeforeClose = (() => unknown) | undefined;

/**
 * Puts Nest's teardown inside the core's cleanup phase.
 *
 * Nest 12's `app.close()` runs `httpAdapter.beforeClose()`, then `onModuleDestroy`,
 * `beforeApplicationShutdown`, the adapter's close and `onApplicationShutdown`. lameduck needs
 * HTTP drained before the first provider hook, whoever starts the shutdown:
 *
 * - lameduck starts it (signal, preStop, `shutdown()`): the core drains, runs the app's own
 *   lameduck hooks, then runs `hook` below, which calls `app.close()`; then `exit(code)`.
 * - `app.close()` starts it (your code, a test, or the component that owns the signals when
 *   lameduck does not): the adapter's `beforeClose()` is wrapped so that it starts the core's
 *   sequence and waits until the core reaches `hook`; only then does Nest go on. The process
 *   is not exited: whoever called `app.close()` decides how it ends. Except when Nest's own
 *   signal listener called it: Nest would re-raise the signal, so the core exits with its code.
 */
export class NestTeardown {
  /** True when `app.close()`, not lameduck, started the shutdown. */
  startedByAppClose = false;
  private app: INestApplication | undefined;
  private turnReached = false;
  private resolveTurn: () => void = () => undefined;
  private readonly turn = new Promise<void>((resolve) => {
    this.resolveTurn = resolve;
  });
  private signal: string | undefined;

  constructor(private readonly lameduck: Lameduck) {
    lameduck.on('draining', (reason) => {
      // Nest hands the signal to beforeApplicationShutdown / onApplicationShutdown.
      if (reason.startsWith('SIG')) this.signal = reason;
    });
  }

  bind(app: INestApplication): void {
    this.app = app;
  }

  /** The core cleanup hook that runs Nest's own teardown. */
  readonly hook = async (): Promise<void> => {
    this.turnReached = true;
    this.resolveTurn();
    if (this.app === undefined) {
      throw new LameduckError(
        ErrorCodes.MISUSE,
        '@lameduck/nestjs: HTTP drained but no Nest application was bound, so onModuleDestroy/onApplicationShutdown could not run. Call app.get(LameduckService).bindApplication(app) right after NestFactory.create().',
      );
    }
    // Joins Nest's own shutdown when app.close() started it (Nest runs one at a time).
    // Nest's close(signal) passes it on to those hooks; its public type leaves the argument out.
    const close = this.app.close as (signal?: string) => Promise<void>;
    await close.call(this.app, this.signal);
  };

  /**
   * Nest hands its shutdown hooks the signal its own listener received (`app.close()` called
   * by hand passes none). Where this Nest version has no `receivedSignal` field to read, that
   * public argument says the same: Nest's listener would re-raise the signal, which node as
   * PID 1 ignores, so the core ends the process with its code.
   */
  noteShutdownSignal(signal: string | undefined): void {
    if (signal === undefined || this.app === undefined || nestSignalFieldKnown(this.app)) return;
    this.startedByAppClose = false;
  }

  /** Makes every `app.close()` drain HTTP before Nest destroys a single provider. */
  interceptClose(adapter: AbstractHttpAdapter): void {
    const target = adapter as unknown as { beforeClose?: BeforeClose };
    const original = target.beforeClose;
    target.beforeClose = async () => {
      await this.drainFirst();
      return original?.call(adapter);
    };
  }

  private async drainFirst(): Promise<void> {
    if (this.turnReached) return;
    const state = this.lameduck.state;
    if (state === 'stopped') return;
    // Nest's own signal listener (enableShutdownHooks() with signals: false here) would re-raise
    // the signal when done, which node as PID 1 ignores: the core exits with the code instead.
    if ((state === 'starting' || state === 'serving') && !nestIsHandlingSignal(this.app)) {
      this.startedByAppClose = true;
    }
    let sequence: Promise<unknown>;
    try {
      sequence = this.lameduck.shutdown('app.close()');
    } catch {
      return; // Disposed after a failed start-up: nothing was served, Nest closes on its own.
    }
    // The sequence settles without reaching the hook only when cleanup time ran out first.
    await Promise.race([this.turn, sequence.then(() => undefined)]);
  }
}

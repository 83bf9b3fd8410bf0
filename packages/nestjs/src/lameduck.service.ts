import {
  bridgeFrameworkLogger,
  type Logger as CoreLogger,
  createLameduck,
  ErrorCodes,
  type Lameduck,
  LameduckError,
  type LameduckOptions,
  type ProbePaths,
  resolveOptions,
  resolveProbePaths,
} from '@lameduck/core';
import {
  type INestApplication,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { type AbstractHttpAdapter, HttpAdapterHost } from '@nestjs/core';
import { LAMEDUCK_MODULE_OPTIONS, NEST_TEARDOWN_HOOK } from './constants.js';
import { nestShutdownSignals } from './nest-signals.js';
import { NestTeardown } from './nest-teardown.js';
import type { LameduckModuleOptions } from './options.js';
import { MODULE_KEYS, splitOptions } from './options.js';
import { type ProbeWiring, wireProbes } from './probes.js';

const BIND_HINT =
  'Call app.get(LameduckService).bindApplication(app) right after NestFactory.create() (or createNestApplication() in tests), before app.listen() / app.init().';

/**
 * The app's lameduck. Inject it to add readiness checks and cleanup hooks:
 *
 * @example
 * constructor(lameduck: LameduckService) {
 *   lameduck.lameduck.addReadinessCheck('db', () => this.pool.ping());
 * }
 */
@Injectable()
export class LameduckService implements OnApplicationBootstrap, OnApplicationShutdown {
  /** The core handle: `addReadinessCheck()`, `onShutdown()`, `ready()`, `shutdown()`, `state`, events. */
  readonly lameduck: Lameduck;
  private readonly teardown: NestTeardown;
  private readonly paths: ProbePaths;
  private readonly probesInApp: boolean;
  private readonly adapterHost: HttpAdapterHost;
  private adapter: AbstractHttpAdapter | undefined;
  private app: INestApplication | undefined;
  private setUpError: unknown;
  private probes: ProbeWiring | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    @Inject(LAMEDUCK_MODULE_OPTIONS) options: LameduckModuleOptions | undefined,
    @Inject(HttpAdapterHost) adapterHost: HttpAdapterHost,
  ) {
    const { core, paths, probesInApp } = splitOptions(options ?? {});
    // Validate everything before wrapping `exit`; an unknown key's message lists the module's own too.
    resolveOptions(core, { adapter: 'LameduckModule.forRoot()', adapterKeys: MODULE_KEYS });
    this.paths = resolveProbePaths(paths);
    this.probesInApp = probesInApp;
    this.adapterHost = adapterHost;
    const exit = core.exit ?? ((code: number) => process.exit(code));
    this.lameduck = createLameduck({
      // Nest's Logger at the same levels; with Nest's logger off, warnings and the summary
      // still reach stderr. `logger: silentLogger` (or any logger) replaces it.
      logger: nestLogger(core.env),
      ...core,
      // app.close() started it: whoever called app.close() decides how the process ends once
      // the sequence stopped. A second signal or the overall deadline still exits.
      exit: (code) => {
        if (this.teardown.startedByAppClose && this.lameduck.state === 'stopped') return;
        exit(code);
      },
    });
    // A preStop path without a token fails here, when the module is created.
    this.lameduck.registerProbePaths(resolveProbePaths(paths));
    this.teardown = new NestTeardown(this.lameduck);
    // Registered first, so it runs last: the app's own lameduck hooks, then Nest's teardown.
    const cleanupMs = this.lameduck.options.cleanupTimeoutMs;
    this.lameduck.onShutdown(
      NEST_TEARDOWN_HOOK,
      this.teardown.hook,
      cleanupMs > 0 ? { timeoutMs: cleanupMs } : {},
    );
    // The adapter arrives before Nest registers any route or middleware (also in @nestjs/testing).
    const subscription = adapterHost.init$.subscribe(() => this.setUp(adapterHost.httpAdapter));
    this.unsubscribe = () => subscription.unsubscribe();
  }

  /**
   * Hands lameduck the application, so that after HTTP drained it can run Nest's teardown
   * (`app.close()`: onModuleDestroy, beforeApplicationShutdown, onApplicationShutdown).
   * Required; call it right after `NestFactory.create()`.
   */
  bindApplication(app: INestApplication): this {
    const adapter = this.adapterHost.httpAdapter;
    if (
      typeof app?.getHttpAdapter !== 'function' ||
      (adapter !== undefined && app.getHttpAdapter() !== adapter)
    ) {
      throw new LameduckError(
        ErrorCodes.MISUSE,
        `@lameduck/nestjs: bindApplication(app) expects the INestApplication this LameduckService belongs to (what NestFactory.create() returned), instead got ${app === null ? 'null' : typeof app === 'object' ? 'another object' : typeof app}.`,
      );
    }
    this.checkSignalOwner(app);
    this.app = app;
    this.teardown.bind(app);
    return this;
  }

  /**
   * Registers a gateway's server so that its clients are closed when the listener closes
   * (1001 for `WsAdapter`, a transport close for `IoAdapter`). Call it from the gateway's
   * `afterInit(server)`. Returns a function that stops tracking.
   */
  trackWebSockets(server: unknown): () => void {
    return this.lameduck.trackWebSockets(server);
  }

  onApplicationBootstrap(): void {
    try {
      if (this.setUpError !== undefined) throw this.setUpError;
      const adapter = this.adapter;
      if (adapter === undefined) {
        throw new LameduckError(
          ErrorCodes.MISUSE,
          '@lameduck/nestjs: LameduckModule needs an HTTP application (NestFactory.create()), but this context has no HTTP adapter (NestFactory.createApplicationContext() or a microservice). Use @lameduck/core directly there.',
        );
      }
      if (this.app === undefined) {
        throw new LameduckError(
          ErrorCodes.MISUSE,
          `@lameduck/nestjs: the application was not bound, so lameduck could not run Nest's teardown after draining. ${BIND_HINT}`,
        );
      }
      this.checkSignalOwner(this.app);
      // Something (devtools, instrumentation) may have set its own request hook meanwhile.
      this.probes?.keepFirst();
      this.probes?.attach(adapter.getHttpServer());
    } catch (error) {
      this.release();
      throw error;
    }
  }

  onApplicationShutdown(signal?: string): void {
    this.teardown.noteShutdownSignal(signal);
    const state = this.lameduck.state;
    if (state === 'starting' || state === 'serving') {
      this.release();
      return;
    }
    // The sequence is running Nest's teardown right now; release once it has finished.
    void this.lameduck.shutdown().then(() => this.release());
  }

  private setUp(adapter: AbstractHttpAdapter | null | undefined): void {
    // createApplicationContext() sets no adapter (null): onApplicationBootstrap reports it.
    if (this.adapter !== undefined || adapter === null || adapter === undefined) return;
    this.adapter = adapter;
    try {
      this.probes = wireProbes(adapter, this.lameduck, this.paths, this.probesInApp);
      this.teardown.interceptClose(adapter);
    } catch (error) {
      this.setUpError = error;
    }
  }

  private checkSignalOwner(app: INestApplication): void {
    const ours: readonly string[] = this.lameduck.options.signals;
    const both = nestShutdownSignals(app).filter((signal) => ours.includes(signal));
    if (both.length === 0) return;
    throw new LameduckError(
      ErrorCodes.MISUSE,
      `@lameduck/nestjs: both lameduck and Nest's app.enableShutdownHooks() listen for ${both.join(', ')}. Nest would destroy providers while requests are still draining, then re-raise the signal (which node as PID 1 ignores). Remove app.enableShutdownHooks(): lameduck runs app.close() after draining, so onModuleDestroy and onApplicationShutdown still run. To let another component own the signals, pass signals: false to LameduckModule.forRoot() and have it call app.close().`,
    );
  }

  private release(): void {
    this.unsubscribe();
    this.lameduck.dispose();
  }
}

/** lameduck's lines through Nest's `Logger` (context `lameduck`), stderr while Nest's is off. */
function nestLogger(env: LameduckOptions['env']): CoreLogger {
  const nest = new Logger('lameduck');
  const line = (obj: object, msg?: string) => msg ?? JSON.stringify(obj);
  return bridgeFrameworkLogger(
    {
      debug: (obj, msg) => nest.debug(line(obj, msg)),
      info: (obj, msg) => nest.log(line(obj, msg)),
      warn: (obj, msg) => nest.warn(line(obj, msg)),
      error: (obj, msg) => nest.error(line(obj, msg)),
    },
    {
      isOff: () => !Logger.isLevelEnabled('error') && !Logger.isLevelEnabled('fatal'),
      ...(env ? { env } : {}),
    },
  );
}

import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CanActivate,
  Controller,
  type DynamicModule,
  Get,
  type INestApplication,
  Inject,
  Injectable,
  type MiddlewareConsumer,
  Module,
  type NestInterceptor,
  type NestModule,
  type OnModuleDestroy,
  Query,
  ServiceUnavailableException,
  VersioningType,
} from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import type { Observable } from 'rxjs';
import { LameduckModule, type LameduckModuleOptions, LameduckService } from '../../src/index.js';
import type { Platform } from './platforms.js';
import { urlOf } from './platforms.js';

/** What happened, in order: requests ending and provider hooks running. */
export class EventLog {
  readonly events: string[] = [];
  push(event: string): void {
    this.events.push(event);
  }
}

export const EVENT_LOG = 'TEST_EVENT_LOG';

/** Stands for a database pool: it closes in onModuleDestroy and throws if used after that. */
@Injectable()
export class FakePool implements OnModuleDestroy {
  closed = false;
  constructor(@Inject(EVENT_LOG) private readonly log: EventLog) {}

  async query(): Promise<string> {
    if (this.closed) throw new Error('pool used after onModuleDestroy');
    return 'ok';
  }

  async onModuleDestroy(): Promise<void> {
    this.log.push('pool:onModuleDestroy');
    await sleep(20);
    this.closed = true;
  }
}

@Controller()
export class BusinessController {
  constructor(
    @Inject(FakePool) private readonly pool: FakePool,
    @Inject(EVENT_LOG) private readonly log: EventLog,
  ) {}

  @Get()
  async root(): Promise<string> {
    return this.pool.query();
  }

  @Get('slow')
  async slow(@Query('ms') ms = '0'): Promise<string> {
    await sleep(Number(ms));
    // Uses the pool at the very end, as a handler that writes its result would.
    const answer = await this.pool.query();
    this.log.push('request:done');
    return answer;
  }
}

/** A global guard that rejects every request Nest routes. */
export class RejectEverything implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

/** A global interceptor that fails every request it sees. */
export class FailEverything implements NestInterceptor {
  intercept(): Observable<unknown> {
    throw new ServiceUnavailableException('interceptor says no');
  }
}

/** Nest middleware on every route that answers 401 itself. */
function unauthorized(_req: unknown, res: { statusCode: number; end(body: string): void }): void {
  res.statusCode = 401;
  res.end('middleware says no');
}

export interface AppSetup {
  readonly lameduck?: LameduckModuleOptions;
  /** A dynamic module replacing `LameduckModule.forRoot(lameduck)`. */
  readonly lameduckModule?: DynamicModule;
  /** A global guard, a global interceptor and a Nest middleware on every route, all rejecting. */
  readonly rejectEverything?: boolean;
  readonly globalPrefix?: string;
  readonly uriVersioning?: boolean;
  /** Skip bindApplication(app). */
  readonly unbound?: boolean;
  readonly enableShutdownHooks?: boolean;
}

export interface TestApp {
  readonly app: INestApplication;
  readonly url: string;
  readonly service: LameduckService;
  readonly log: EventLog;
  readonly pool: FakePool;
}

export function createAppModule(setup: AppSetup, log: EventLog): DynamicModule {
  @Module({})
  class TestAppModule implements NestModule {
    configure(consumer: MiddlewareConsumer): void {
      if (setup.rejectEverything) consumer.apply(unauthorized).forRoutes('*path');
    }
  }
  return {
    module: TestAppModule,
    imports: [setup.lameduckModule ?? LameduckModule.forRoot(setup.lameduck ?? {})],
    controllers: [BusinessController],
    providers: [
      FakePool,
      { provide: EVENT_LOG, useValue: log },
      ...(setup.rejectEverything
        ? [
            { provide: APP_GUARD, useClass: RejectEverything },
            { provide: APP_INTERCEPTOR, useClass: FailEverything },
          ]
        : []),
    ],
  };
}

/** Builds the app (no listen yet). */
export async function createApp(
  platform: Platform,
  setup: AppSetup = {},
): Promise<{ app: INestApplication; log: EventLog }> {
  const log = new EventLog();
  const app = await NestFactory.create(createAppModule(setup, log), platform.createAdapter(), {
    logger: false,
    abortOnError: false,
  });
  if (setup.globalPrefix !== undefined) app.setGlobalPrefix(setup.globalPrefix);
  if (setup.uriVersioning) app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
  if (setup.enableShutdownHooks) app.enableShutdownHooks();
  if (!setup.unbound) app.get(LameduckService).bindApplication(app);
  return { app, log };
}

/** Builds the app and listens on 127.0.0.1, port 0. */
export async function startApp(platform: Platform, setup: AppSetup = {}): Promise<TestApp> {
  const { app, log } = await createApp(platform, setup);
  await app.listen(0, '127.0.0.1');
  return { app, url: await urlOf(app), service: app.get(LameduckService), log, pool: app.get(FakePool) };
}

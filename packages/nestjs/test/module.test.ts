import { ErrorCodes, type Lameduck } from '@lameduck/core';
import { Controller, Get, type INestApplication, Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { request } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  InjectLameduck,
  LAMEDUCK,
  LameduckModule,
  type LameduckModuleOptions,
  LameduckService,
} from '../src/index.js';
import { createApp } from './utils/app.js';
import { platforms, urlOf } from './utils/platforms.js';

@Injectable()
class Settings {
  readonly drainDelayMs = 123;
}

@Module({ providers: [Settings], exports: [Settings] })
class SettingsModule {}

@Injectable()
class LameduckSettings {
  createLameduckOptions(): LameduckModuleOptions {
    return { drainDelayMs: 77, signals: false, readinessPath: '/ready' };
  }
}

@Module({ providers: [LameduckSettings], exports: [LameduckSettings] })
class LameduckSettingsModule {}

/** A provider in a feature module that adds a readiness check, as a user would. */
@Injectable()
class Database {
  constructor(
    @Inject(LameduckService) readonly service: LameduckService,
    @InjectLameduck() readonly handle: Lameduck,
  ) {
    service.lameduck.addReadinessCheck('database', () => true);
  }
}

@Controller('db')
class DatabaseController {
  @Get()
  get(): string {
    return 'db';
  }
}

@Module({ providers: [Database], controllers: [DatabaseController] })
class FeatureModule {}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'LameduckError', code });
}

describe.each(platforms)('LameduckModule on $name', (platform) => {
  const apps: INestApplication[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close().catch(() => undefined);
  });

  async function boot(imports: unknown[]): Promise<INestApplication> {
    @Module({ imports: imports as never[] })
    class Root {}
    const app = await NestFactory.create(Root, platform.createAdapter(), {
      logger: false,
      abortOnError: false,
    });
    apps.push(app);
    app.get(LameduckService).bindApplication(app);
    await app.listen(0, '127.0.0.1');
    return app;
  }

  it('forRoot() works with no arguments, owns SIGTERM/SIGINT and lets go of them on close', async () => {
    const before = process.listenerCount('SIGTERM');
    const app = await boot([LameduckModule.forRoot(), FeatureModule]);
    const service = app.get(LameduckService);
    expect(service.lameduck.options.signals).toEqual(['SIGTERM', 'SIGINT']);
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    const ready = await request(`${await urlOf(app)}/readyz`);
    expect(await ready.body.json()).toMatchObject({ status: 'ok', checks: { database: 'ok' } });
    await app.close();
    await service.lameduck.shutdown(); // settles right after app.close(), then lets go
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });

  it('is global by default and injects the same handle through LAMEDUCK and @InjectLameduck()', async () => {
    const app = await boot([LameduckModule.forRoot({ signals: false }), FeatureModule]);
    const service = app.get(LameduckService);
    expect(app.get(Database).handle).toBe(service.lameduck);
    expect(app.get(LAMEDUCK)).toBe(service.lameduck);
  });

  it('isGlobal: false keeps it out of other modules', async () => {
    @Module({ imports: [LameduckModule.forRoot({ signals: false, isGlobal: false }), FeatureModule] })
    class Root {}
    await expect(
      NestFactory.create(Root, platform.createAdapter(), { logger: false, abortOnError: false }),
    ).rejects.toThrow(/LameduckService/);
  });

  it('forRootAsync with imports + inject + useFactory', async () => {
    const app = await boot([
      LameduckModule.forRootAsync({
        imports: [SettingsModule],
        inject: [Settings],
        useFactory: (settings: Settings) => ({ drainDelayMs: settings.drainDelayMs, signals: false }),
      }),
    ]);
    expect(app.get(LameduckService).lameduck.options.drainDelayMs).toBe(123);
  });

  it('forRootAsync with useClass and with useExisting', async () => {
    const viaClass = await boot([LameduckModule.forRootAsync({ useClass: LameduckSettings })]);
    expect(viaClass.get(LameduckService).lameduck.options.drainDelayMs).toBe(77);
    expect((await request(`${await urlOf(viaClass)}/ready`)).statusCode).toBe(200);
    await viaClass.close();
    const viaExisting = await boot([
      LameduckModule.forRootAsync({ imports: [LameduckSettingsModule], useExisting: LameduckSettings }),
    ]);
    expect(viaExisting.get(LameduckService).lameduck.options.drainDelayMs).toBe(77);
  });

  it('rejects a bad option with the core error code', async () => {
    @Module({ imports: [LameduckModule.forRoot({ drainDelayMs: -1 })] })
    class Root {}
    await expectCode(
      NestFactory.create(Root, platform.createAdapter(), { logger: false, abortOnError: false }),
      ErrorCodes.INVALID_OPTION,
    );
    @Module({ imports: [LameduckModule.forRoot({ readinessPath: 'readyz' })] })
    class Root2 {}
    await expectCode(
      NestFactory.create(Root2, platform.createAdapter(), { logger: false, abortOnError: false }),
      ErrorCodes.INVALID_OPTION,
    );
  });

  it("an unknown option's message lists the module's own options (readinessPath, isGlobal) beside the core's", async () => {
    @Module({ imports: [LameduckModule.forRoot({ readinesPath: '/r' } as never)] })
    class Root {}
    const error = await NestFactory.create(Root, platform.createAdapter(), {
      logger: false,
      abortOnError: false,
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toMatchObject({ name: 'LameduckError', code: ErrorCodes.UNKNOWN_OPTION });
    for (const own of ['readinessPath', 'livenessPath', 'preStopPath', 'isGlobal', 'drainDelayMs']) {
      expect(error?.message).toContain(own);
    }
  });

  it('works with @nestjs/testing createNestApplication()', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [LameduckModule.forRoot({ signals: false, exit: vi.fn() }), FeatureModule],
    }).compile();
    const app = moduleRef.createNestApplication(platform.createAdapter(), { logger: false });
    apps.push(app);
    app.get(LameduckService).bindApplication(app);
    await app.listen(0, '127.0.0.1');
    const url = await urlOf(app);
    expect((await request(`${url}/readyz`)).statusCode).toBe(200);
    expect(await (await request(`${url}/db`)).body.text()).toBe('db');
  });
});

describe.each(platforms)('who owns the signals, on $name', (platform) => {
  const apps: INestApplication[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close().catch(() => undefined);
  });

  it('refuses app.enableShutdownHooks() while lameduck owns the same signals', async () => {
    const { app } = await createApp(platform, { lameduck: { exit: vi.fn() }, unbound: true });
    apps.push(app);
    app.enableShutdownHooks();
    expect(() => app.get(LameduckService).bindApplication(app)).toThrow(
      expect.objectContaining({ code: ErrorCodes.MISUSE }),
    );
  });

  it('also catches enableShutdownHooks() called after bindApplication(): listen() rejects', async () => {
    const before = process.listenerCount('SIGTERM');
    const { app } = await createApp(platform, { lameduck: { exit: vi.fn() } });
    app.enableShutdownHooks();
    await expectCode(app.listen(0, '127.0.0.1'), ErrorCodes.MISUSE);
    // Nest's own listener is still there; lameduck removed its own.
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    (app as unknown as { unsubscribeFromProcessSignals(): void }).unsubscribeFromProcessSignals();
  });

  it('accepts enableShutdownHooks() when lameduck is told signals: false', async () => {
    const { app } = await createApp(platform, {
      lameduck: { signals: false, exit: vi.fn() },
      enableShutdownHooks: true,
    });
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    expect((await request(`${await urlOf(app)}/readyz`)).statusCode).toBe(200);
  });

  it('fails listen() with a clear code when the application was never bound', async () => {
    const { app } = await createApp(platform, { lameduck: { signals: false, exit: vi.fn() }, unbound: true });
    await expectCode(app.listen(0, '127.0.0.1'), ErrorCodes.MISUSE);
    // The failed start-up released lameduck; closing the app still works.
    await expect(app.close()).resolves.toBeUndefined();
  });

  it('refuses to bind something that is not this application', async () => {
    const { app } = await createApp(platform, { lameduck: { signals: false, exit: vi.fn() }, unbound: true });
    const other = await createApp(platform, { lameduck: { signals: false, exit: vi.fn() } });
    apps.push(app, other.app);
    const service = app.get(LameduckService);
    expect(() => service.bindApplication({} as INestApplication)).toThrow(
      expect.objectContaining({ code: ErrorCodes.MISUSE }),
    );
    expect(() => service.bindApplication(other.app)).toThrow(
      expect.objectContaining({ code: ErrorCodes.MISUSE }),
    );
  });
});

describe('without an HTTP server', () => {
  it('createApplicationContext() fails init with LAMEDUCK_MISUSE and lets go of its signals', async () => {
    const before = process.listenerCount('SIGTERM');
    @Module({ imports: [LameduckModule.forRoot({ exit: vi.fn() })] })
    class Root {}
    await expectCode(
      NestFactory.createApplicationContext(Root, { logger: false, abortOnError: false }),
      ErrorCodes.MISUSE,
    );
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});

import { type DynamicModule, Module } from '@nestjs/common';
import { LAMEDUCK } from './constants.js';
import {
  type ASYNC_OPTIONS_TYPE,
  ConfigurableModuleClass,
  type OPTIONS_TYPE,
} from './lameduck.module-definition.js';
import { LameduckService } from './lameduck.service.js';

/**
 * Drains HTTP before Nest destroys any provider, and serves `/readyz` and `/livez`.
 *
 * @example
 * \@Module({ imports: [LameduckModule.forRoot()] })
 * export class AppModule {}
 *
 * const app = await NestFactory.create(AppModule);
 * app.get(LameduckService).bindApplication(app);
 * await app.listen(3000);
 */
@Module({
  providers: [
    LameduckService,
    {
      provide: LAMEDUCK,
      useFactory: (service: LameduckService) => service.lameduck,
      inject: [LameduckService],
    },
  ],
  exports: [LameduckService, LAMEDUCK],
})
export class LameduckModule extends ConfigurableModuleClass {
  /** Options are optional: `LAMEDUCK_*` environment variables and the defaults fill the rest. */
  static override forRoot(options: typeof OPTIONS_TYPE = {}): DynamicModule {
    // biome-ignore lint/complexity/noThisInStatic: `super` keeps `this` = LameduckModule, the builder's `module`.
    return super.forRoot(options);
  }

  /** Options from other providers: `{ imports, inject, useFactory | useClass | useExisting }`. */
  static override forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    // biome-ignore lint/complexity/noThisInStatic: `super` keeps `this` = LameduckModule, the builder's `module`.
    return super.forRootAsync(options);
  }
}

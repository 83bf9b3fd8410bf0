export * from '@lameduck/core';
export { LAMEDUCK, LAMEDUCK_MODULE_OPTIONS } from './constants.js';
export { InjectLameduck } from './inject-lameduck.decorator.js';
export { LameduckModule } from './lameduck.module.js';
export { LameduckService } from './lameduck.service.js';
export type { LameduckModuleExtras, LameduckModuleOptions } from './options.js';

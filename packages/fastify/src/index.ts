export {
  DEFAULTS,
  ErrorCodes,
  type Lameduck,
  LameduckError,
  type LameduckOptions,
  type ShutdownResult,
  type State,
} from '@lameduck/core';
export { lameduck, lameduck as default } from './plugin.js';
export type { LameduckFastifyOptions } from './types.js';

import type { LoadFactory } from './load.js';
import { httpLoad } from './load-http.js';
import type { LoadKind } from './types.js';

/** Every load the simulator can drive, one module each. */
export const LOADS: Readonly<Record<LoadKind, LoadFactory>> = Object.freeze({
  http: httpLoad,
});

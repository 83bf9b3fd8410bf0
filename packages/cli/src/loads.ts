import type { LoadFactory } from './load.js';
import { h2Load } from './load-h2.js';
import { httpLoad } from './load-http.js';
import type { LoadKind } from './types.js';

/** Every load the simulator can drive, one module each. */
export const LOADS: Readonly<Record<LoadKind, LoadFactory>> = Object.freeze({
  http: httpLoad,
  h2: h2Load,
});

// The HTTP/2 stream load, the drain-under-load check and the throw-away certificate live beside the core's own HTTP/2 tests
// (the core cannot depend on this package); the adapters' and examples' tests use them from here.

export {
  drainUnderH2Load,
  expectCleanH2Drain,
  type H2DrainOutcome,
  type H2DrainRun,
} from '../../core/test/support/h2-drain.js';
export {
  type H2Load,
  type H2LoadCounts,
  type H2LoadOptions,
  startH2Load,
} from '../../core/test/support/h2-load.js';
export { selfSignedCertificate } from '../../core/test/support/self-signed.js';

/**
 * The only place a default value is written. READMEs and JSDoc `@default`s repeat these
 * numbers; `test/defaults.test.ts` checks that they agree.
 */
export const DEFAULTS = Object.freeze({
  /** Drain delay inside Kubernetes (`KUBERNETES_SERVICE_HOST` set). */
  drainDelayMsInKubernetes: 5000,
  /** Drain delay elsewhere: Ctrl-C in development is instant. */
  drainDelayMsElsewhere: 0,
  /**
   * Adaptive drain delay: once past `drainDelayMinMs`, the delay ends after this long without
   * new traffic (probes aside). Closing: idle keep-alive sockets close after this long without
   * a client reusing its socket.
   */
  drainQuietMs: 1000,
  drainTimeoutMs: 10_000,
  closeWindowMs: 1000,
  webSocketCloseCode: 1001,
  cleanupTimeoutMs: 5000,
  hookTimeoutMs: 3000,
  marginMs: 2000,
  gracePeriodSeconds: 30,
  preStopSleepSeconds: 0,
  failReadiness: 'immediately',
  signals: Object.freeze(['SIGTERM', 'SIGINT']) as readonly NodeJS.Signals[],
  forceExitCode: 130,
  exitOnStopped: true,
  readyOnListening: true,
  summary: true,
  readinessCheckTimeoutMs: 1000,
  /**
   * Once the listener closed, how long a connection that has not sent a request yet may take
   * to send its first one (capped at half the drain timeout).
   */
  firstRequestGraceMs: 1000,
  /** The bound on one PING round trip while an HTTP/2 session is told to go away. */
  h2PingTimeoutMs: 1000,
  /** Start-up diagnostics: `'warn'` logs each finding, `'off'` skips them, `'strict'` throws. */
  diagnostics: 'warn',
  /** The default logger's level (`LAMEDUCK_LOG_LEVEL`). */
  logLevel: 'info',
  readinessPath: '/readyz',
  livenessPath: '/livez',
} as const);

/** The environment variable each option can come from. Explicit options win. */
export const ENV_VARS = Object.freeze({
  drainDelayMs: 'LAMEDUCK_DRAIN_DELAY_MS',
  drainTimeoutMs: 'LAMEDUCK_DRAIN_TIMEOUT_MS',
  closeWindowMs: 'LAMEDUCK_CLOSE_WINDOW_MS',
  webSocketCloseCode: 'LAMEDUCK_WEBSOCKET_CLOSE_CODE',
  cleanupTimeoutMs: 'LAMEDUCK_CLEANUP_TIMEOUT_MS',
  hookTimeoutMs: 'LAMEDUCK_HOOK_TIMEOUT_MS',
  marginMs: 'LAMEDUCK_MARGIN_MS',
  gracePeriodSeconds: 'LAMEDUCK_GRACE_PERIOD_SECONDS',
  preStopSleepSeconds: 'LAMEDUCK_PRESTOP_SLEEP_SECONDS',
  failReadiness: 'LAMEDUCK_FAIL_READINESS',
  drainDelayMinMs: 'LAMEDUCK_DRAIN_DELAY_MIN_MS',
  drainQuietMs: 'LAMEDUCK_DRAIN_QUIET_MS',
  preStopToken: 'LAMEDUCK_PRESTOP_TOKEN',
  diagnostics: 'LAMEDUCK_DIAGNOSTICS',
  balancerIdleTimeoutMs: 'LAMEDUCK_BALANCER_IDLE_TIMEOUT_MS',
  /** Read by the default logger only. */
  logLevel: 'LAMEDUCK_LOG_LEVEL',
} as const);

export const WEBSOCKET_CLOSE_CODES = Object.freeze([1001, 1012] as const);

export const DIAGNOSTICS_VALUES = Object.freeze(['warn', 'off', 'strict'] as const);

/** The values of LAMEDUCK_LOG_LEVEL: the default logger's threshold. */
export const LOG_LEVELS = Object.freeze(['debug', 'info', 'warn', 'error', 'silent'] as const);

export const FAIL_READINESS_VALUES = Object.freeze(['immediately', 'after-drain-delay', 'never'] as const);

/**
 * The catalogue of every error lameduck throws. Tests assert `err.code`, never the message.
 */
export const ErrorCodes = Object.freeze({
  /** An option key that lameduck does not know (usually a typo). */
  UNKNOWN_OPTION: 'LAMEDUCK_UNKNOWN_OPTION',
  /** An option of the wrong type or out of range. */
  INVALID_OPTION: 'LAMEDUCK_INVALID_OPTION',
  /** An environment variable (`LAMEDUCK_*`) that does not parse. */
  INVALID_ENV: 'LAMEDUCK_INVALID_ENV',
  /** drain delay + drain timeout + cleanup + margin do not fit in the grace period. */
  BUDGET_EXCEEDED: 'LAMEDUCK_BUDGET_EXCEEDED',
  /** A cleanup hook or readiness check registered with bad arguments. */
  INVALID_HOOK: 'LAMEDUCK_INVALID_HOOK',
  /** attach() was given something that is not a node http/https server. */
  INVALID_SERVER: 'LAMEDUCK_INVALID_SERVER',
  /** An adapter was used in a way that cannot work (for example no server attached). */
  MISUSE: 'LAMEDUCK_MISUSE',
  /** A preStop path was enabled with no token and not only on an admin server. */
  PRESTOP_TOKEN_MISSING: 'LAMEDUCK_PRESTOP_TOKEN_MISSING',
  /** The instance was disposed and then used again. */
  DISPOSED: 'LAMEDUCK_DISPOSED',
  /**
   * A start-up diagnostic found a mistake that breaks the shutdown (SIGTERM will not reach node,
   * an unknown `LAMEDUCK_*` variable, a keep-alive timeout below the balancer's) and
   * `diagnostics` is `'strict'`.
   */
  DIAGNOSTIC: 'LAMEDUCK_DIAGNOSTIC',
  /** `lameduck simulate` could not set up its run (a replica never became ready, HAProxy missing). */
  SIMULATION_SETUP: 'LAMEDUCK_SIMULATION_SETUP',
} as const);

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Every error lameduck throws is a `LameduckError` with a stable `code`. */
export class LameduckError extends Error {
  override readonly name = 'LameduckError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Describes a value for an error message: `a string ("5s")`, `a number (-1)`, `undefined`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `an array (${JSON.stringify(value)})`;
  switch (typeof value) {
    case 'string':
      return `a string (${JSON.stringify(value)})`;
    case 'number':
      return `a number (${String(value)})`;
    case 'function':
      return 'a function';
    case 'object':
      return `an object (${Object.prototype.toString.call(value)})`;
    default:
      return `${typeof value} (${String(value)})`;
  }
}

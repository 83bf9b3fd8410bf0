import { TIMED_OUT, withTimeout } from './clock.js';
import { describeValue, ErrorCodes, LameduckError } from './errors.js';
import type { Clock, Hook, HookResult, Logger } from './types.js';

export interface RegisteredHook {
  readonly name: string;
  readonly fn: Hook;
  readonly timeoutMs: number;
}

/** Checks the arguments of `onShutdown()` / `addReadinessCheck()`. */
export function checkHookArgs(
  kind: string,
  name: unknown,
  fn: unknown,
  timeoutMs: unknown,
  maxMs?: number,
): void {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new LameduckError(
      ErrorCodes.INVALID_HOOK,
      `lameduck: ${kind}() expects a non-empty name as its first argument, instead got ${describeValue(name)}.`,
    );
  }
  if (typeof fn !== 'function') {
    throw new LameduckError(
      ErrorCodes.INVALID_HOOK,
      `lameduck: ${kind}('${name}', fn) expects a function, instead got ${describeValue(fn)}.`,
    );
  }
  if (timeoutMs === undefined) return;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new LameduckError(
      ErrorCodes.INVALID_HOOK,
      `lameduck: ${kind}('${name}') option \`timeoutMs\` expects a finite number > 0, instead got ${describeValue(timeoutMs)}.`,
    );
  }
  if (maxMs !== undefined && timeoutMs > maxMs) {
    throw new LameduckError(
      ErrorCodes.INVALID_HOOK,
      `lameduck: ${kind}('${name}') asks for timeoutMs ${timeoutMs}, more than cleanupTimeoutMs (${maxMs}) allows for all hooks together. Raise cleanupTimeoutMs (and the grace period) or lower this hook's timeout.`,
    );
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs the hooks last registered first, each bounded by its own timeout and all of them by
 * the cleanup timeout. A hook that throws or hangs is logged and the next one still runs.
 */
export async function runHooks(
  hooks: readonly RegisteredHook[],
  cleanupTimeoutMs: number,
  clock: Clock,
  logger: Logger,
  observer?: { start(name: string): void; end(result: HookResult): void },
): Promise<HookResult[]> {
  const results: HookResult[] = [];
  const deadline = clock.now() + cleanupTimeoutMs;
  const record = (result: HookResult) => {
    results.push(result);
    observer?.end(result);
  };
  for (const hook of [...hooks].reverse()) {
    const started = clock.now();
    observer?.start(hook.name);
    const allowedMs = Math.min(hook.timeoutMs, deadline - started);
    if (allowedMs <= 0) {
      const error = `skipped: cleanupTimeoutMs (${cleanupTimeoutMs}) was spent before it could run`;
      logger.error({ hook: hook.name }, `lameduck: hook ${hook.name} ${error}`);
      record({ name: hook.name, ok: false, durationMs: 0, error });
      continue;
    }
    try {
      const outcome = await withTimeout(
        clock,
        Promise.resolve().then(() => hook.fn()),
        allowedMs,
      );
      const durationMs = clock.now() - started;
      if (outcome === TIMED_OUT) {
        const error = `timed out after ${allowedMs} ms`;
        logger.error({ hook: hook.name, durationMs }, `lameduck: hook ${hook.name} ${error}`);
        record({ name: hook.name, ok: false, durationMs, error });
      } else {
        logger.debug({ hook: hook.name, durationMs }, `lameduck: hook ${hook.name} done`);
        record({ name: hook.name, ok: true, durationMs });
      }
    } catch (error) {
      const durationMs = clock.now() - started;
      logger.error(
        { hook: hook.name, durationMs, err: errorText(error) },
        `lameduck: hook ${hook.name} failed`,
      );
      record({ name: hook.name, ok: false, durationMs, error: errorText(error) });
    }
  }
  return results;
}

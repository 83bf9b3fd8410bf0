/**
 * The signals Nest's `app.enableShutdownHooks()` listens for on this app. Nest keeps one
 * listener per signal in `shutdownCleanupRefs`; an app without it reports none.
 */
export function nestShutdownSignals(app: object): string[] {
  const refs = (app as { shutdownCleanupRefs?: unknown }).shutdownCleanupRefs;
  return refs instanceof Map ? [...refs.keys()].map(String) : [];
}

/** Whether Nest's own signal listener (`enableShutdownHooks()`) is running this app's shutdown. */
export function nestIsHandlingSignal(app: object | undefined): boolean {
  return (app as { receivedSignal?: unknown } | undefined)?.receivedSignal === true;
}

/**
 * Whether `receivedSignal` above means anything on this app: Nest 10 to 12 define it as a
 * boolean. A Nest that renamed it reads as "not handling a signal", so the caller also needs
 * the public signal argument of the shutdown hooks (see NestTeardown.noteShutdownSignal).
 */
export function nestSignalFieldKnown(app: object): boolean {
  return typeof (app as { receivedSignal?: unknown }).receivedSignal === 'boolean';
}

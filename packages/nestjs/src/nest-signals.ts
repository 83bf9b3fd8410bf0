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

/**
 * The signals Nest's `app.enableShutdownHooks()` listens for on this app. Nest keeps one
 * listener per signal in `shutdownCleanupRefs`; an app without it reports none.
 */
export function nestShutdownSignals(app: object): string[] {
  const refs = (app as { shutdownCleanupRefs?: unknown }).shutdownCleanupRefs;
  return refs instanceof Map ? [...refs.keys()].map(String) : [];
}

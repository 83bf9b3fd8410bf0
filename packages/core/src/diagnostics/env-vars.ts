import { ENV_VARS } from '../defaults.js';

/** A `LAMEDUCK_*` variable lameduck does not read, with the known name closest to it. */
export interface UnknownEnvVar {
  readonly name: string;
  readonly closest: string;
}

/** Every `LAMEDUCK_*` name the core reads: ENV_VARS, so a name added there is known at once. */
export function knownEnvNames(): string[] {
  return [...new Set(Object.values(ENV_VARS) as string[])];
}

function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The known name nearest to `name` (edit distance, ties to the first listed). */
export function closestName(name: string, known: readonly string[]): string {
  let best = known[0] ?? '';
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = distance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** The `LAMEDUCK_*` names in `env` that lameduck does not know, each with its closest known name. */
export function findUnknownEnvVars(env: Readonly<Record<string, string | undefined>>): UnknownEnvVar[] {
  const known = knownEnvNames();
  const accepted = new Set(known);
  const unknown: UnknownEnvVar[] = [];
  for (const name of Object.keys(env)) {
    if (!name.startsWith('LAMEDUCK_') || accepted.has(name) || env[name] === undefined) continue;
    unknown.push({ name, closest: closestName(name, known) });
  }
  return unknown;
}

export function unknownEnvMessage(found: UnknownEnvVar): string {
  return `lameduck: unknown environment variable ${found.name} is ignored. Did you mean ${found.closest}? Known: ${knownEnvNames().join(', ')}.`;
}

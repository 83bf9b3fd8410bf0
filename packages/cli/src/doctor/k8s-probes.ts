import type { Hit } from './findings.js';
import { servingContainers, where } from './k8s-containers.js';
import type { PodTemplate } from './kubernetes.js';

function httpTarget(probe: unknown): string | undefined {
  const get = (probe as { httpGet?: { path?: unknown; port?: unknown } } | undefined)?.httpGet;
  if (get === undefined) return undefined;
  return `${String(get.port ?? '')} ${String(get.path ?? '/')}`;
}

/** A serving container without readiness, or with liveness on the readiness path. */
export function checkProbes(pod: PodTemplate): Hit[] {
  const hits: Hit[] = [];
  for (const container of servingContainers(pod)) {
    const { readinessProbe, livenessProbe } = container.spec;
    if (readinessProbe === undefined || readinessProbe === null) {
      hits.push({
        line: container.lineOf(['name']),
        rule: 'k8s/no-readiness-probe',
        message: `${where(container)} serves traffic but has no readinessProbe.`,
      });
      continue;
    }
    const readiness = httpTarget(readinessProbe);
    if (readiness !== undefined && readiness === httpTarget(livenessProbe)) {
      hits.push({
        line: container.lineOf(['livenessProbe', 'httpGet', 'path']),
        rule: 'k8s/same-probe-path',
        message: `${where(container)}: liveness and readiness both probe ${readiness.split(' ')[1]}.`,
      });
    }
  }
  return hits;
}

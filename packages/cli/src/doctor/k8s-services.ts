import type { Finding } from './findings.js';
import type { PodTemplate, ServiceDoc } from './kubernetes.js';

function selects(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === value);
}

/**
 * A Service with publishNotReadyAddresses: true in front of a serving workload (from any of
 * the files read). Headless Services (clusterIP: None) are left alone: that is their use, peer
 * discovery for StatefulSets, not balancing traffic.
 */
export function checkServices(services: readonly ServiceDoc[], pods: readonly PodTemplate[]): Finding[] {
  const findings: Finding[] = [];
  for (const service of services) {
    if (!service.publishNotReady || service.headless) continue;
    const targets = pods.filter((pod) => pod.serving && selects(service.selector, pod.labels));
    if (targets.length === 0) continue;
    findings.push({
      file: service.file,
      line: service.line,
      rule: 'k8s/publish-not-ready',
      level: 'error',
      message: `Service ${service.name} has publishNotReadyAddresses: true and selects ${targets.map((p) => `${p.kind} ${p.name}`).join(', ')}: failing readiness during the drain does not take the pods out of it.`,
    });
  }
  return findings;
}

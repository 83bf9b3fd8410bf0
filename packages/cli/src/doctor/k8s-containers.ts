import type { PodTemplate } from './kubernetes.js';

type Json = Record<string, unknown>;

/** One container of a pod template, with the line helper for paths under it. */
export interface Container {
  readonly pod: PodTemplate;
  readonly index: number;
  readonly name: string;
  readonly spec: Json;
  readonly lineOf: (path: readonly (string | number)[]) => number;
}

export function containersOf(pod: PodTemplate): Container[] {
  const list = Array.isArray(pod.spec.containers) ? (pod.spec.containers as unknown[]) : [];
  return list.map((item, index) => {
    const spec = typeof item === 'object' && item !== null ? (item as Json) : {};
    return {
      pod,
      index,
      name: String(spec.name ?? `#${index}`),
      spec,
      lineOf: (path) => pod.lineOf(['containers', index, ...path]),
    };
  });
}

/** The containers that serve traffic: those that declare ports, or the only one. */
export function servingContainers(pod: PodTemplate): Container[] {
  const all = containersOf(pod);
  if (!pod.serving) return [];
  const withPorts = all.filter((c) => Array.isArray(c.spec.ports) && c.spec.ports.length > 0);
  return withPorts.length > 0 ? withPorts : all.slice(0, 1);
}

export const where = (c: Container) => `${c.pod.kind} ${c.pod.name}, container ${c.name}`;

import { type Document, LineCounter, parseAllDocuments } from 'yaml';
import type { Hit } from './findings.js';

/** Where each kind keeps its pod spec; Jobs and CronJobs serve no traffic. */
const POD_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};
const NOT_SERVING = new Set(['Job', 'CronJob']);

type Path = readonly (string | number)[];
type Json = Record<string, unknown>;

/** One workload's pod template: where it is, its labels and its spec. */
export interface PodTemplate {
  readonly kind: string;
  readonly name: string;
  readonly serving: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly spec: Json;
  /** The line of a path under the pod spec. */
  readonly lineOf: (path: Path) => number;
}

/** A Service, for the publishNotReadyAddresses rule (matched against every file's pods). */
export interface ServiceDoc {
  readonly name: string;
  readonly selector: Readonly<Record<string, string>>;
  readonly publishNotReady: boolean;
  readonly headless: boolean;
  readonly line: number;
  readonly file: string;
}

export interface ParsedManifests {
  readonly pods: PodTemplate[];
  readonly services: ServiceDoc[];
  /** Problems reading the file (YAML errors, Helm templates), as doctor/unreadable hits. */
  readonly problems: Hit[];
}

const asObject = (value: unknown): Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(asObject(value))) out[key] = String(item);
  return out;
}

function get(value: unknown, path: Path): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/**
 * Reads the Kubernetes objects of a YAML text (several documents, `List` objects) and keeps
 * the pod templates and Services. Documents without apiVersion and kind are not Kubernetes
 * objects and are skipped quietly; a document that does not parse becomes a problem.
 */
export function parseManifests(file: string, text: string): ParsedManifests {
  const pods: PodTemplate[] = [];
  const services: ServiceDoc[] = [];
  const problems: Hit[] = [];
  const lineCounter = new LineCounter();
  let documents: Document.Parsed[];
  try {
    documents = parseAllDocuments(text, { lineCounter, uniqueKeys: false }) as Document.Parsed[];
    if (!Array.isArray(documents)) documents = [];
  } catch (error) {
    return {
      pods,
      services,
      problems: [
        { line: 1, rule: 'doctor/unreadable', message: `cannot parse YAML: ${(error as Error).message}` },
      ],
    };
  }
  const helm = /\{\{.*\}\}/.test(text);
  for (const doc of documents) {
    if (doc.errors.length > 0) {
      const error = doc.errors[0];
      const line = error?.linePos?.[0]?.line ?? 1;
      problems.push({
        line,
        rule: 'doctor/unreadable',
        message: helm
          ? 'an unrendered Helm template (`{{ }}`): render it first, `helm template <chart> | lameduck doctor -`.'
          : `YAML syntax error, this document is skipped: ${error?.message.split('\n')[0] ?? 'unknown'}`,
      });
      continue;
    }
    const base = (doc.contents?.range?.[0] ?? 0) as number;
    const lineOfPath = (path: Path): number => {
      for (let n = path.length; n >= 0; n -= 1) {
        const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
        if (node?.range) return lineCounter.linePos(node.range[0]).line;
      }
      return lineCounter.linePos(base).line;
    };
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      problems.push({
        line: lineOfPath([]),
        rule: 'doctor/unreadable',
        message: `cannot read this document: ${(error as Error).message}`,
      });
      continue;
    }
    collect(value, [], lineOfPath, file, pods, services);
  }
  return { pods, services, problems };
}

function collect(
  value: unknown,
  at: Path,
  lineOfPath: (path: Path) => number,
  file: string,
  pods: PodTemplate[],
  services: ServiceDoc[],
): void {
  const object = asObject(value);
  const kind = typeof object.kind === 'string' ? object.kind : undefined;
  if (kind === undefined || typeof object.apiVersion !== 'string') return;
  if (kind.endsWith('List') && Array.isArray(object.items)) {
    for (const [i, item] of object.items.entries())
      collect(item, [...at, 'items', i], lineOfPath, file, pods, services);
    return;
  }
  const name = String(get(object, ['metadata', 'name']) ?? '(unnamed)');
  if (kind === 'Service') {
    const spec = asObject(object.spec);
    services.push({
      name,
      selector: stringMap(spec.selector),
      publishNotReady: spec.publishNotReadyAddresses === true,
      headless: spec.clusterIP === 'None',
      line: lineOfPath([...at, 'spec', 'publishNotReadyAddresses']),
      file,
    });
    return;
  }
  const specPath = POD_SPEC_PATHS[kind];
  if (specPath === undefined) return;
  const templatePath = specPath.slice(0, -1);
  const labels = stringMap(
    get(object, kind === 'Pod' ? ['metadata', 'labels'] : [...templatePath, 'metadata', 'labels']),
  );
  pods.push({
    kind,
    name,
    serving: !NOT_SERVING.has(kind),
    labels,
    spec: asObject(get(object, specPath)),
    lineOf: (path) => lineOfPath([...at, ...specPath, ...path]),
  });
}

// Lints what the examples deploy: every examples/*/k8s/*.yaml against the Kubernetes schemas
// (kubernetes-models) plus unknown fields (kubectl's strict field validation rejects them, the
// schemas alone do not), the shutdown budget rule, and every examples/*/Dockerfile for the
// signal mistakes (shell-form CMD, npm start, root user).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULTS } from '@lameduck/core';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const repo = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

type Rule =
  | 'yaml'
  | 'schema'
  | 'unknown-field'
  | 'budget'
  | 'env-mismatch'
  | 'exec-form'
  | 'wrapper'
  | 'root-user';
interface Problem {
  readonly rule: Rule;
  readonly detail: string;
}

/** Files matching examples/<name>/<sub>/<file> (or examples/<name>/<file> when sub is ''). */
function exampleFiles(sub: string, match: (file: string) => boolean): string[] {
  const examples = path.join(repo, 'examples');
  return readdirSync(examples)
    .flatMap((name) => {
      const dir = path.join(examples, name, sub);
      return existsSync(dir)
        ? readdirSync(dir)
            .filter(match)
            .map((file) => path.join(dir, file))
        : [];
    })
    .sort();
}

// ---------------------------------------------------------------------------------------------
// Schemas: kubernetes-models validates types and required fields; its generated .d.ts files
// list each kind's fields, which is what the strict unknown-field check walks.

interface FieldTable {
  /** Field name → the .d.ts file of the field's object type, or undefined for leaves and maps. */
  readonly fields: ReadonlyMap<string, string | undefined>;
}

const tables = new Map<string, FieldTable>();

function fieldTable(dtsFile: string): FieldTable {
  const cached = tables.get(dtsFile);
  if (cached) return cached;
  const source = readFileSync(dtsFile, 'utf8');
  const imports = new Map<string, string>();
  for (const [, name, from] of source.matchAll(/^import \{ (\w+) \} from "([^"]+)";$/gm)) {
    if (name === undefined || from === undefined) continue;
    const resolved = from.startsWith('.')
      ? path.resolve(path.dirname(dtsFile), `${from}.d.ts`)
      : createRequire(dtsFile).resolve(from).replace(/\.js$/, '.d.ts');
    imports.set(name, resolved);
  }
  const body = /^export interface I\w+(?: extends [\w, ]+)? \{\n([\s\S]*?)\n\}/m.exec(source)?.[1] ?? '';
  const fields = new Map<string, string | undefined>();
  for (const [, name, type] of body.matchAll(/^ {4}"([^"]+)"\??: (.+?);?$/gm)) {
    if (name === undefined || type === undefined) continue;
    const objectType = /^(?:Array<)?(I\w+)>?$/.exec(type)?.[1];
    const file = objectType === undefined ? undefined : imports.get(objectType);
    // Type aliases (IntOrString, Quantity, Time) have no interface: leaves.
    fields.set(
      name,
      file !== undefined && /^export interface /m.test(readFileSync(file, 'utf8')) ? file : undefined,
    );
  }
  const table = { fields };
  tables.set(dtsFile, table);
  return table;
}

function unknownFields(value: unknown, dtsFile: string, at: string, found: Problem[]): void {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) unknownFields(item, dtsFile, `${at}[${i}]`, found);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const { fields } = fieldTable(dtsFile);
  for (const [key, child] of Object.entries(value)) {
    if (!fields.has(key)) {
      found.push({
        rule: 'unknown-field',
        detail: `${at}.${key} is not a field of ${path.basename(dtsFile, '.d.ts')}`,
      });
      continue;
    }
    const childFile = fields.get(key);
    if (childFile !== undefined) unknownFields(child, childFile, `${at}.${key}`, found);
  }
}

async function schemaProblems(doc: Record<string, unknown>): Promise<Problem[]> {
  const { apiVersion, kind } = doc;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    return [{ rule: 'schema', detail: 'a document without apiVersion and kind' }];
  }
  const group = apiVersion === 'v1' ? 'v1' : apiVersion;
  let modelFile: string;
  try {
    modelFile = require.resolve(`kubernetes-models/${group}/${kind}`);
  } catch {
    return [{ rule: 'schema', detail: `unknown kind ${apiVersion} ${kind}` }];
  }
  // A specifier Vite cannot see through: it would try to expand `./${group}` against the package's
  // exports at transform time and warn (a test-output line that means nothing).
  const specifier = `kubernetes-models/${group}`;
  const module = (await import(/* @vite-ignore */ specifier)) as Record<
    string,
    new (
      data: unknown,
    ) => { validate(): void }
  >;
  const Model = module[kind];
  if (Model === undefined) return [{ rule: 'schema', detail: `unknown kind ${apiVersion} ${kind}` }];
  const found: Problem[] = [];
  try {
    new Model(doc).validate();
  } catch (error) {
    found.push({ rule: 'schema', detail: `${kind}: ${(error as Error).message}` });
  }
  unknownFields(doc, modelFile.replace(/\.js$/, '.d.ts'), kind, found);
  return found;
}

// ---------------------------------------------------------------------------------------------
// The budget rule (KUBERNETES.md): terminationGracePeriodSeconds ≥ preStop sleep + drain delay
// + drain timeout + cleanup + margin, with lameduck's defaults for what the manifest leaves out.

interface Container {
  name?: string;
  env?: { name: string; value?: string }[];
  lifecycle?: { preStop?: { sleep?: { seconds?: number }; exec?: { command?: string[] } } };
}

function preStopSleepSeconds(container: Container): number {
  const preStop = container.lifecycle?.preStop;
  if (preStop?.sleep?.seconds !== undefined) return preStop.sleep.seconds;
  const command = preStop?.exec?.command ?? [];
  const sleep = command.findIndex((word) => word === 'sleep' || word.endsWith('/sleep'));
  return sleep === -1 ? 0 : Number(command[sleep + 1] ?? 0);
}

function budgetProblems(doc: Record<string, unknown>): Problem[] {
  if (doc.kind !== 'Deployment' && doc.kind !== 'StatefulSet' && doc.kind !== 'DaemonSet') return [];
  const pod = (
    doc as {
      spec?: { template?: { spec?: { terminationGracePeriodSeconds?: number; containers?: Container[] } } };
    }
  ).spec?.template?.spec;
  const graceSeconds = pod?.terminationGracePeriodSeconds ?? 30;
  const found: Problem[] = [];
  for (const container of pod?.containers ?? []) {
    const env = new Map((container.env ?? []).map((entry) => [entry.name, entry.value]));
    const ms = (name: string, fallback: number) => Number(env.get(name) ?? fallback);
    const preStopSeconds = preStopSleepSeconds(container);
    const parts = {
      'preStop sleep': preStopSeconds * 1000,
      LAMEDUCK_DRAIN_DELAY_MS: ms('LAMEDUCK_DRAIN_DELAY_MS', DEFAULTS.drainDelayMsInKubernetes),
      LAMEDUCK_DRAIN_TIMEOUT_MS: ms('LAMEDUCK_DRAIN_TIMEOUT_MS', DEFAULTS.drainTimeoutMs),
      LAMEDUCK_CLEANUP_TIMEOUT_MS: ms('LAMEDUCK_CLEANUP_TIMEOUT_MS', DEFAULTS.cleanupTimeoutMs),
      LAMEDUCK_MARGIN_MS: ms('LAMEDUCK_MARGIN_MS', DEFAULTS.marginMs),
    };
    const neededMs = Object.values(parts).reduce((sum, part) => sum + part, 0);
    if (!Number.isFinite(neededMs) || neededMs > graceSeconds * 1000) {
      const sum = Object.entries(parts)
        .map(([name, value]) => `${name} ${value}`)
        .join(' + ');
      found.push({
        rule: 'budget',
        detail: `container ${container.name}: ${sum} = ${neededMs} ms > terminationGracePeriodSeconds ${graceSeconds} s`,
      });
    }
    // What lameduck is told must be what Kubernetes does, or its own budget check is wrong.
    const told = [
      ['LAMEDUCK_GRACE_PERIOD_SECONDS', graceSeconds],
      ['LAMEDUCK_PRESTOP_SLEEP_SECONDS', preStopSeconds],
    ] as const;
    for (const [name, actual] of told) {
      const value = env.get(name);
      if (value !== undefined && Number(value) !== actual) {
        found.push({
          rule: 'env-mismatch',
          detail: `container ${container.name}: ${name}=${value} but the pod says ${actual}`,
        });
      }
    }
  }
  return found;
}

async function manifestProblems(text: string): Promise<Problem[]> {
  const found: Problem[] = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) {
      found.push({ rule: 'yaml', detail: document.errors.map((error) => error.message).join('; ') });
      continue;
    }
    const doc = document.toJS() as Record<string, unknown> | null;
    if (doc === null) continue;
    found.push(...(await schemaProblems(doc)), ...budgetProblems(doc));
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Dockerfile lint: SIGTERM must reach node (exec-form CMD/ENTRYPOINT, no npm or shell wrapper),
// and the final stage runs as a non-root user.

function dockerfileProblems(text: string): Problem[] {
  const instructions = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [, keyword = '', rest = ''] = /^(\w+)\s*(.*)$/.exec(line) ?? [];
      return { keyword: keyword.toUpperCase(), rest };
    });
  const lastFrom = instructions.map((i) => i.keyword).lastIndexOf('FROM');
  const finalStage = instructions.slice(lastFrom + 1);
  const found: Problem[] = [];
  for (const keyword of ['CMD', 'ENTRYPOINT']) {
    const last = finalStage.filter((i) => i.keyword === keyword).at(-1);
    if (last === undefined) continue;
    let argv: unknown;
    try {
      argv = JSON.parse(last.rest);
    } catch {
      argv = undefined;
    }
    if (!Array.isArray(argv)) {
      found.push({
        rule: 'exec-form',
        detail: `${keyword} ${last.rest} runs under /bin/sh -c: use ["node", "server.js"]`,
      });
      continue;
    }
    const [program = '', second = ''] = argv.map(String);
    const name = path.posix.basename(program);
    if (
      ['npm', 'yarn', 'pnpm', 'npx'].includes(name) ||
      (['sh', 'bash', 'dash'].includes(name) && second === '-c')
    ) {
      found.push({
        rule: 'wrapper',
        detail: `${keyword} ${last.rest} puts ${name} between the kubelet and node`,
      });
    }
  }
  if (!finalStage.some((i) => i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT')) {
    found.push({ rule: 'exec-form', detail: 'the final stage has no CMD or ENTRYPOINT' });
  }
  const user = finalStage
    .filter((i) => i.keyword === 'USER')
    .at(-1)
    ?.rest.split(':')[0];
  if (user === undefined || user === 'root' || user === '0') {
    found.push({ rule: 'root-user', detail: `the final stage runs as ${user ?? 'root (no USER)'}` });
  }
  return found;
}

// ---------------------------------------------------------------------------------------------

const manifests = exampleFiles('k8s', (file) => /\.ya?ml$/.test(file));
const dockerfiles = exampleFiles('', (file) => file === 'Dockerfile');
const relative = (file: string) => path.relative(repo, file);

describe('examples/*/k8s/*.yaml', () => {
  it('finds the manifests of the examples (express and koa at least)', () => {
    const names = manifests.map(relative);
    expect(names).toContain(path.join('examples', 'express', 'k8s', 'deployment.yaml'));
    expect(names).toContain(path.join('examples', 'koa', 'k8s', 'deployment.yaml'));
  });

  it.each(manifests.map((file) => [relative(file), file]))(
    '%s is valid, has no unknown field, and fits the budget',
    async (_name, file) => {
      expect(await manifestProblems(readFileSync(file, 'utf8'))).toEqual([]);
    },
  );
});

describe('examples/*/Dockerfile', () => {
  it('finds the Dockerfiles of the examples', () => {
    expect(dockerfiles.map(relative)).toContain(path.join('examples', 'express', 'Dockerfile'));
  });

  it.each(dockerfiles.map((file) => [relative(file), file]))(
    '%s: exec-form CMD, no wrapper, non-root user',
    (_name, file) => {
      expect(dockerfileProblems(readFileSync(file, 'utf8'))).toEqual([]);
    },
  );

  it.each(dockerfiles.map((file) => [relative(file), file]))(
    '%s: CMD starts the entry its README documents (`node examples/<name>/<file>`), production dependencies only',
    (_name, file) => {
      const dir = path.dirname(file);
      const text = readFileSync(file, 'utf8');
      const cmd = [...text.matchAll(/^CMD\s+(\[.*\])\s*$/gm)].at(-1)?.[1];
      const argv = JSON.parse(cmd ?? '[]') as string[];
      expect(argv[0], `${relative(file)}: CMD ${cmd}`).toBe('node');
      const entry = argv[1] ?? '';
      // A TypeScript example's dist/main.js is compiled from src/main.ts.
      const source = entry.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts');
      expect(existsSync(path.join(dir, entry)) || existsSync(path.join(dir, source)), entry).toBe(true);
      const readme = readFileSync(path.join(dir, 'README.md'), 'utf8');
      expect(readme).toContain(`node ${path.posix.join('examples', path.basename(dir), entry)}`);
      expect(text).toMatch(/deploy --prod|--omit=dev/);
    },
  );
});

describe('the checks accept what real manifests use', () => {
  it('maps, IntOrString, quantities, valueFrom, volumes, other kinds: no false alarm', async () => {
    const rich = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: rich
  annotations: { example.com/owner: team }
spec:
  selector: { matchLabels: { app: rich } }
  template:
    metadata: { labels: { app: rich } }
    spec:
      terminationGracePeriodSeconds: 45
      topologySpreadConstraints:
        - { maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway, labelSelector: { matchLabels: { app: rich } } }
      volumes: [{ name: tmp, emptyDir: { sizeLimit: 64Mi } }]
      containers:
        - name: app
          image: rich:1
          env:
            - { name: POD_NAME, valueFrom: { fieldRef: { fieldPath: metadata.name } } }
            - { name: LAMEDUCK_DRAIN_DELAY_MS, value: "25000" }
          lifecycle: { preStop: { httpGet: { path: /prestop, port: 3000 } } }
          startupProbe: { httpGet: { path: /readyz, port: http }, failureThreshold: 30, periodSeconds: 1 }
          resources: { requests: { cpu: 100m, memory: 128Mi }, limits: { memory: 1Gi } }
          volumeMounts: [{ name: tmp, mountPath: /tmp }]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: { name: rich }
spec: { maxUnavailable: 1, selector: { matchLabels: { app: rich } } }
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: rich }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: rich }
  minReplicas: 2
  maxReplicas: 5
  metrics: [{ type: Resource, resource: { name: cpu, target: { type: Utilization, averageUtilization: 70 } } }]
`;
    // 0 s preStop sleep (httpGet) + 25 s delay + 10 s + 5 s + 2 s = 42 s <= 45 s.
    expect(await manifestProblems(rich)).toEqual([]);
  });
});

describe('the checks fail on broken input', () => {
  const good = readFileSync(path.join(repo, 'examples', 'express', 'k8s', 'deployment.yaml'), 'utf8');
  const rules = async (text: string) => (await manifestProblems(text)).map((problem) => problem.rule);

  it('the kubernetes-models schema knows the preStop sleep action', async () => {
    expect(await rules(good.replace('seconds: 3', 'seconds: "three"'))).toContain('schema');
    expect(await rules(good.replace(/sleep:\n(\s+)seconds: 3/, 'sleep: {}'))).toContain('schema');
  });

  it('a type error, a missing required field, invalid YAML', async () => {
    expect(await rules(good.replace('replicas: 2', 'replicas: two'))).toContain('schema');
    expect(await rules(good.replace('- name: app', '- nom: app'))).toEqual(
      expect.arrayContaining(['schema']),
    );
    expect(await rules('kind: [unclosed')).toContain('yaml');
  });

  it('an unknown field (a typo kubectl would reject)', async () => {
    const problems = await manifestProblems(good.replace('sleep:\n', 'slep:\n'));
    expect(problems).toContainEqual({
      rule: 'unknown-field',
      detail:
        'Deployment.spec.template.spec.containers[0].lifecycle.preStop.slep is not a field of LifecycleHandler',
    });
    expect(await rules(good.replace('maxUnavailable: 0', 'maxUnavailible: 0'))).toContain('unknown-field');
  });

  it('an inline manifest whose budget overruns the grace period, and env that disagrees with the pod', async () => {
    const bad = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: bad }
spec:
  selector: { matchLabels: { app: bad } }
  template:
    metadata: { labels: { app: bad } }
    spec:
      terminationGracePeriodSeconds: 15
      containers:
        - name: app
          image: bad:1
          lifecycle: { preStop: { exec: { command: ["sleep", "5"] } } }
          env:
            - { name: LAMEDUCK_GRACE_PERIOD_SECONDS, value: "30" }
            - { name: LAMEDUCK_DRAIN_TIMEOUT_MS, value: "10000" }
`;
    const problems = await manifestProblems(bad);
    // 5 s preStop + 5 s default delay + 10 s + 5 s cleanup + 2 s margin = 27 s > 15 s.
    expect(problems.map((problem) => problem.rule).sort()).toEqual(['budget', 'env-mismatch']);
    expect(problems[0]?.detail).toContain('= 27000 ms > terminationGracePeriodSeconds 15 s');
  });

  it('Dockerfiles: shell-form CMD, npm start, sh -c, root or no USER', () => {
    const ruleOf = (text: string) => dockerfileProblems(text).map((problem) => problem.rule);
    expect(ruleOf('FROM node:20\nUSER node\nCMD node server.js\n')).toEqual(['exec-form']);
    expect(ruleOf('FROM node:20\nUSER 1000\nCMD ["npm", "start"]\n')).toEqual(['wrapper']);
    expect(ruleOf('FROM node:20\nUSER 1000\nENTRYPOINT ["/bin/sh", "-c", "node server.js"]\n')).toEqual([
      'wrapper',
    ]);
    expect(ruleOf('FROM node:20\nCMD ["node", "server.js"]\n')).toEqual(['root-user']);
    expect(
      ruleOf('FROM node:20 AS build\nUSER 1000\nFROM node:20\nUSER root\nCMD ["node", "server.js"]\n'),
    ).toEqual(['root-user']);
    expect(ruleOf('FROM node:20\nUSER 1000\nCMD ["node", \\\n  "server.js"]\n')).toEqual([]);
  });
});

import {
  checkBudget,
  DEFAULTS,
  ENV_VARS,
  ErrorCodes,
  findUnknownEnvVars,
  LameduckError,
  resolveOptions,
} from '@lameduck/core';
import type { Hit } from './findings.js';
import { type Container, containersOf, servingContainers, where } from './k8s-containers.js';
import type { PodTemplate } from './kubernetes.js';

type Json = Record<string, unknown>;

/** The container's LAMEDUCK_* environment: literal values, and the names doctor cannot know. */
interface LameduckEnv {
  readonly values: Record<string, string>;
  /** Names set through valueFrom. */
  readonly fromRefs: Set<string>;
  /** envFrom is used: any name not set literally may come from it. */
  readonly envFrom: boolean;
  readonly lineOf: (name: string) => number;
}

function lameduckEnv(container: Container): LameduckEnv {
  const values: Record<string, string> = {};
  const fromRefs = new Set<string>();
  const lines = new Map<string, number>();
  const list = Array.isArray(container.spec.env) ? (container.spec.env as Json[]) : [];
  list.forEach((entry, i) => {
    const name = typeof entry?.name === 'string' ? entry.name : undefined;
    if (name === undefined || !name.startsWith('LAMEDUCK_')) return;
    lines.set(name, container.lineOf(['env', i, 'name']));
    if (entry.valueFrom !== undefined) fromRefs.add(name);
    else values[name] = entry.value === undefined || entry.value === null ? '' : String(entry.value);
  });
  return {
    values,
    fromRefs,
    envFrom: Array.isArray(container.spec.envFrom) && container.spec.envFrom.length > 0,
    lineOf: (name) => lines.get(name) ?? container.lineOf(['env']),
  };
}

/** Literal value, 'unknown' (valueFrom, or maybe envFrom), or undefined (not set). */
function literalValue(env: LameduckEnv, name: string): string | 'unknown' | undefined {
  if (name in env.values) return env.values[name];
  if (env.fromRefs.has(name) || env.envFrom) return 'unknown';
  return undefined;
}

interface PreStop {
  readonly sleepSeconds: number;
  readonly execSleep: boolean;
  readonly httpGet: Json | undefined;
  readonly any: boolean;
  readonly line: number;
}

function preStopOf(container: Container): PreStop {
  const hook = (container.spec.lifecycle as { preStop?: Json } | undefined)?.preStop;
  const line = container.lineOf(['lifecycle', 'preStop']);
  if (hook === undefined || hook === null)
    return { sleepSeconds: 0, execSleep: false, httpGet: undefined, any: false, line };
  const sleep = Number((hook.sleep as { seconds?: unknown } | undefined)?.seconds ?? Number.NaN);
  if (Number.isFinite(sleep))
    return { sleepSeconds: sleep, execSleep: false, httpGet: undefined, any: true, line };
  const command = (hook.exec as { command?: unknown } | undefined)?.command;
  const text = Array.isArray(command) ? command.map(String).join(' ') : '';
  const execSleep = /(^|[\s/])sleep\s+(\d+)/.exec(text);
  if (execSleep)
    return { sleepSeconds: Number(execSleep[2]), execSleep: true, httpGet: undefined, any: true, line };
  const httpGet = hook.httpGet as Json | undefined;
  return { sleepSeconds: 0, execSleep: false, httpGet, any: true, line };
}

/** Only containers that use lameduck (a LAMEDUCK_* variable), or the one serving container. */
function lameduckContainers(pod: PodTemplate): Container[] {
  const serving = servingContainers(pod);
  const withEnv = containersOf(pod).filter((c) => {
    const env = lameduckEnv(c);
    return Object.keys(env.values).length > 0 || env.fromRefs.size > 0;
  });
  return withEnv.length > 0 ? withEnv : serving.length === 1 ? serving : [];
}

/**
 * The shutdown budget and the numbers lameduck is told, per container that uses lameduck:
 * grace period and preStop sleep against LAMEDUCK_*, the budget by @lameduck/core's own
 * resolveOptions + checkBudget, the preStop hook, unknown or invalid LAMEDUCK_* variables.
 */
export function checkShutdown(pod: PodTemplate): Hit[] {
  if (!pod.serving) return [];
  const hits: Hit[] = [];
  const rawGrace = pod.spec.terminationGracePeriodSeconds;
  const grace = typeof rawGrace === 'number' ? rawGrace : DEFAULTS.gracePeriodSeconds;
  const graceLine = pod.lineOf(['terminationGracePeriodSeconds']);
  for (const container of lameduckContainers(pod)) {
    const env = lameduckEnv(container);
    const preStop = preStopOf(container);
    const at = where(container);

    for (const unknown of findUnknownEnvVars(env.values)) {
      hits.push({
        line: env.lineOf(unknown.name),
        rule: 'k8s/unknown-env',
        message: `${at}: ${unknown.name} is not a lameduck variable and is ignored; did you mean ${unknown.closest}?`,
      });
    }
    if (preStop.sleepSeconds > grace) {
      hits.push({
        line: preStop.line,
        rule: 'k8s/prestop-too-long',
        message: `${at}: preStop sleeps ${preStop.sleepSeconds} s, longer than terminationGracePeriodSeconds (${grace}).`,
      });
    }
    const image = String(container.spec.image ?? '');
    if (preStop.execSleep && /distroless/i.test(image)) {
      hits.push({
        line: preStop.line,
        rule: 'k8s/exec-sleep-distroless',
        message: `${at}: preStop runs \`sleep\` in ${image}, which has no sleep binary.`,
      });
    }
    if (preStop.httpGet !== undefined) {
      const headers = Array.isArray(preStop.httpGet.httpHeaders)
        ? (preStop.httpGet.httpHeaders as Json[])
        : [];
      if (!headers.some((h) => String(h?.name ?? '').toLowerCase() === 'authorization')) {
        hits.push({
          line: preStop.line,
          rule: 'k8s/prestop-http-no-auth',
          message: `${at}: the preStop httpGet on ${String(preStop.httpGet.path ?? '/')} sends no Authorization header.`,
        });
      }
    }

    const graceVar = literalValue(env, ENV_VARS.gracePeriodSeconds);
    if (graceVar !== 'unknown' && Number(graceVar ?? DEFAULTS.gracePeriodSeconds) !== grace) {
      hits.push({
        line: graceVar === undefined ? graceLine : env.lineOf(ENV_VARS.gracePeriodSeconds),
        rule: 'k8s/grace-mismatch',
        message:
          graceVar === undefined
            ? `${at}: terminationGracePeriodSeconds is ${grace} but ${ENV_VARS.gracePeriodSeconds} is not set, so lameduck assumes ${DEFAULTS.gracePeriodSeconds}.`
            : `${at}: ${ENV_VARS.gracePeriodSeconds}=${graceVar} but terminationGracePeriodSeconds is ${grace}.`,
      });
    }
    const preStopVar = literalValue(env, ENV_VARS.preStopSleepSeconds);
    if (preStopVar !== 'unknown' && Number(preStopVar ?? 0) !== preStop.sleepSeconds) {
      hits.push({
        line: preStopVar === undefined ? preStop.line : env.lineOf(ENV_VARS.preStopSleepSeconds),
        rule: 'k8s/prestop-mismatch',
        message:
          preStopVar === undefined
            ? `${at}: preStop sleeps ${preStop.sleepSeconds} s but ${ENV_VARS.preStopSleepSeconds} is not set, so lameduck assumes 0.`
            : `${at}: ${ENV_VARS.preStopSleepSeconds}=${preStopVar} but the preStop sleep is ${preStop.sleepSeconds} s.`,
      });
    }
    const delayVar = literalValue(env, ENV_VARS.drainDelayMs);
    if (delayVar !== undefined && delayVar !== 'unknown' && Number(delayVar) === 0 && !preStop.any) {
      hits.push({
        line: env.lineOf(ENV_VARS.drainDelayMs),
        rule: 'k8s/no-drain-delay',
        message: `${at}: ${ENV_VARS.drainDelayMs}=0 and no preStop hook: the listener closes at SIGTERM, while traffic still arrives.`,
      });
    }

    hits.push(...budget(container, env, grace, preStop, graceLine));
  }
  return hits;
}

/** The budget, by the core's own code, from the literal values and lameduck's defaults. */
function budget(
  container: Container,
  env: LameduckEnv,
  grace: number,
  preStop: PreStop,
  graceLine: number,
): Hit[] {
  const at = where(container);
  const unknown = Object.values(ENV_VARS).filter((name) => literalValue(env, name) === 'unknown');
  const inputs = [
    ENV_VARS.drainDelayMs,
    ENV_VARS.drainTimeoutMs,
    ENV_VARS.cleanupTimeoutMs,
    ENV_VARS.marginMs,
  ];
  const unknownInputs = unknown.filter((name) => inputs.includes(name as (typeof inputs)[number]));
  if (unknownInputs.length > 0) {
    return [
      {
        line: env.lineOf(unknownInputs[0] as string),
        rule: 'k8s/budget-unknown',
        message: `${at}: ${unknownInputs.join(', ')} ${unknownInputs.length === 1 ? 'comes' : 'come'} from ${env.envFrom ? 'valueFrom or envFrom' : 'valueFrom'}; the budget against terminationGracePeriodSeconds (${grace}) is not checked.`,
      },
    ];
  }
  if (preStop.sleepSeconds > grace) return [];
  try {
    // In a pod: KUBERNETES_SERVICE_HOST is set, so the drain delay defaults as it will there.
    const options = resolveOptions({
      env: { ...env.values, KUBERNETES_SERVICE_HOST: 'kubernetes.default.svc' },
      gracePeriodSeconds: grace,
      preStopSleepSeconds: preStop.sleepSeconds,
    });
    checkBudget(options);
    return [];
  } catch (error) {
    if (!(error instanceof LameduckError)) throw error;
    const budgetError = error.code === ErrorCodes.BUDGET_EXCEEDED;
    return [
      {
        line: budgetError
          ? graceLine
          : env.lineOf(/environment variable (LAMEDUCK_\w+)/.exec(error.message)?.[1] ?? ''),
        rule: budgetError ? 'k8s/budget' : 'k8s/unknown-env',
        message: `${at}: ${error.message.replace(/^lameduck: /, '')}`,
      },
    ];
  }
}

import type { Rule } from './findings.js';

const NODE_PID1 =
  'Make node PID 1: an exec-form entry such as CMD ["node", "server.js"], `exec node server.js` at the end of a script, or tini / dumb-init directly in front of node (ENTRYPOINT ["tini", "--"]).';

/**
 * Every rule, in the order the CLI README documents them. The README test checks that each id
 * has a section there with a bad and a good example.
 */
export const RULES: readonly Rule[] = [
  {
    id: 'dockerfile/shell-form',
    level: 'error',
    title: 'Shell-form CMD or ENTRYPOINT',
    why: 'The container runs `/bin/sh -c "<command>"` as PID 1. Debian\'s dash does not exec the last command and, as PID 1, ignores SIGTERM: node never sees it and is SIGKILLed at the end of the grace period.',
    fix: NODE_PID1,
  },
  {
    id: 'dockerfile/shell-entry',
    level: 'error',
    title: 'The entry ends in a shell (sh -c, or ENTRYPOINT + CMD)',
    why: 'An exec-form `sh -c "node server.js"` (or ENTRYPOINT ["sh", "-c"] with a CMD) makes the shell PID 1, with the same result as the shell form: SIGTERM never reaches node.',
    fix: NODE_PID1,
  },
  {
    id: 'dockerfile/package-manager',
    level: 'error',
    title: 'npm, pnpm or yarn runs the service',
    why: "On SIGTERM the package manager stops its script's shell and exits; the kernel then kills node without it ever seeing the signal (measured with npm 11, pnpm 12 and yarn 1, also behind tini and dumb-init).",
    fix: NODE_PID1,
  },
  {
    id: 'dockerfile/stop-signal',
    level: 'error',
    title: 'STOPSIGNAL other than SIGTERM or SIGINT',
    why: 'The runtime stops the container with that signal; lameduck listens to SIGTERM and SIGINT, so the drain never starts.',
    fix: "Remove STOPSIGNAL (the default is SIGTERM), or add the signal to lameduck's `signals` option.",
  },
  {
    id: 'script/no-exec',
    level: 'error',
    title: 'Entry script runs node without exec and has no trap',
    why: 'The shell stays PID 1 and node its child: the shell ignores SIGTERM (as PID 1) or dies of it, and node never sees it.',
    fix: 'Start node with `exec node server.js` as the last command, or forward the signal: `trap \'kill -TERM "$child"\' TERM` and `wait`.',
  },
  {
    id: 'script/package-manager',
    level: 'error',
    title: 'Entry script starts the service with npm, pnpm or yarn',
    why: 'Even with exec, the package manager becomes PID 1 and does not pass SIGTERM on to node.',
    fix: 'Run node itself: `exec node server.js`.',
  },
  {
    id: 'package-json/start-shell',
    level: 'warning',
    title: 'The start script wraps node in a shell',
    why: 'A start script such as `npm run migrate && node server.js` or `sh -c "node server.js"` runs node under a shell; any entry that runs it (npm start, or the same command copied into CMD) keeps SIGTERM from node.',
    fix: 'Keep `start` to `node server.js` and run other steps (migrations) as a separate command, an init container or a Job.',
  },
  {
    id: 'k8s/no-readiness-probe',
    level: 'error',
    title: 'A serving container has no readiness probe',
    why: 'Without one, the pod receives traffic before it listens, and balancers that health-check pods never see it go not-ready during the drain.',
    fix: 'Add readinessProbe: { httpGet: { path: /readyz, port: http } } (lameduck serves /readyz).',
  },
  {
    id: 'k8s/same-probe-path',
    level: 'error',
    title: 'Liveness and readiness probe the same path',
    why: 'Readiness turns 503 as soon as the drain starts; a liveness probe on the same path then fails too and the kubelet kills the container mid-drain.',
    fix: 'Probe liveness on /livez (200 until exit) and readiness on /readyz.',
  },
  {
    id: 'k8s/publish-not-ready',
    level: 'error',
    title: 'A Service with publishNotReadyAddresses: true selects the workload',
    why: 'Such a Service keeps routing to pods that are not ready, so failing readiness during the drain stops nothing.',
    fix: 'Remove publishNotReadyAddresses (it is meant for headless Services of StatefulSet peers), or give the serving traffic its own Service.',
  },
  {
    id: 'k8s/budget',
    level: 'error',
    title: 'terminationGracePeriodSeconds too short for the shutdown',
    why: "preStop + drain delay + drain timeout + cleanup + margin does not fit in the grace period: SIGKILL comes first (checked by @lameduck/core's own budget code with the container's LAMEDUCK_* values or lameduck's defaults).",
    fix: 'Raise terminationGracePeriodSeconds (and LAMEDUCK_GRACE_PERIOD_SECONDS with it), or shorten the delay or the timeouts.',
  },
  {
    id: 'k8s/budget-unknown',
    level: 'note',
    title: 'The budget depends on values doctor cannot read',
    why: 'A LAMEDUCK_* value comes from valueFrom or envFrom (a ConfigMap or Secret); doctor reports it as unknown rather than guessing.',
    fix: 'Check the budget with the real values, or set them with `value:` in the manifest.',
  },
  {
    id: 'k8s/grace-mismatch',
    level: 'error',
    title: 'LAMEDUCK_GRACE_PERIOD_SECONDS disagrees with terminationGracePeriodSeconds',
    why: 'lameduck times its forced exit from the grace period it is told: a different number means SIGKILL before it, or an exit long before it was needed.',
    fix: "Set LAMEDUCK_GRACE_PERIOD_SECONDS to the pod's terminationGracePeriodSeconds (30 when unset).",
  },
  {
    id: 'k8s/prestop-mismatch',
    level: 'error',
    title: 'LAMEDUCK_PRESTOP_SLEEP_SECONDS disagrees with the preStop sleep',
    why: 'The preStop sleep counts against the grace period; lameduck budgets with the number it is told (0 when unset).',
    fix: 'Set LAMEDUCK_PRESTOP_SLEEP_SECONDS to the preStop sleep seconds.',
  },
  {
    id: 'k8s/prestop-too-long',
    level: 'error',
    title: 'preStop sleep longer than the grace period',
    why: 'The API server rejects a preStop sleep longer than terminationGracePeriodSeconds; an exec sleep that long is cut by SIGKILL before SIGTERM is even sent.',
    fix: 'Shorten the preStop sleep or raise terminationGracePeriodSeconds.',
  },
  {
    id: 'k8s/exec-sleep-distroless',
    level: 'error',
    title: 'preStop exec sleep in a distroless image',
    why: 'A distroless image has no `sleep` binary: the hook fails at once and the drain gets no head start.',
    fix: "Use the preStop sleep action (Kubernetes 1.30+: lifecycle.preStop.sleep.seconds), or lameduck's drain delay alone.",
  },
  {
    id: 'k8s/no-drain-delay',
    level: 'error',
    title: 'No drain delay and no preStop',
    why: 'With LAMEDUCK_DRAIN_DELAY_MS=0 and no preStop hook, the listener closes at SIGTERM while kube-proxy and the balancers still send new connections: they are refused.',
    fix: 'Leave the drain delay at its Kubernetes default (5000), or add a preStop sleep.',
  },
  {
    id: 'k8s/prestop-http-no-auth',
    level: 'error',
    title: 'preStop httpGet without an Authorization header',
    why: "lameduck's preStop path requires `Authorization: Bearer <LAMEDUCK_PRESTOP_TOKEN>`; without the header the hook is refused and the drain does not start before SIGTERM.",
    fix: 'Add httpHeaders: [{ name: Authorization, value: "Bearer <token>" }] matching LAMEDUCK_PRESTOP_TOKEN.',
  },
  {
    id: 'k8s/unknown-env',
    level: 'error',
    title: 'Unknown or invalid LAMEDUCK_* variable',
    why: 'A misspelled variable is ignored and a bad value stops the service at start-up.',
    fix: 'Use the closest known name shown, with a value lameduck accepts.',
  },
  {
    id: 'doctor/unreadable',
    level: 'warning',
    title: 'A file doctor could not check',
    why: 'A YAML syntax error, an unrendered Helm template, a binary file or an unreadable file: its mistakes would go unseen.',
    fix: 'Fix the syntax, or pipe rendered output in: `helm template . | lameduck doctor -`.',
  },
];

export const RULES_BY_ID: ReadonlyMap<string, Rule> = new Map(RULES.map((rule) => [rule.id, rule]));

export function ruleOf(id: string): Rule {
  const rule = RULES_BY_ID.get(id);
  if (rule === undefined) throw new Error(`lameduck doctor: no rule ${id}`);
  return rule;
}

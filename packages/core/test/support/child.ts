import { type ChildProcess, fork, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURE = fileURLToPath(new URL('../fixtures/server.mjs', import.meta.url));

export interface FixtureConfig {
  readonly options?: Record<string, unknown>;
  readonly hooks?: ReadonlyArray<{ name: string; behavior: 'ok' | 'hang' | 'throw'; timeoutMs?: number }>;
  /** Extra environment variables (LAMEDUCK_*, KUBERNETES_SERVICE_HOST). */
  readonly env?: Readonly<Record<string, string>>;
  /** Keep a ref'd timer, as a database pool does: then only `process.exit()` ends the process. */
  readonly holdLoop?: boolean;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Date.now() when the process exited. */
  readonly at: number;
}

export interface RunningFixture {
  readonly child: ChildProcess;
  /** The port the fixture listens on (127.0.0.1). */
  readonly port: number;
  /** The fixture's own view of its pid (1 when it runs as PID 1 of a namespace). */
  readonly innerPid: number;
  /** The pid to signal from here. */
  readonly pid: number;
  readonly exited: Promise<Exit>;
  /** Resolves when the fixture reports a message matching `predicate`. */
  message(predicate: (message: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  stderr(): string;
}

const running = new Set<ChildProcess>();

/** SIGKILLs every fixture still running (afterEach). Only PIDs these tests started. */
export function killAll(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  running.clear();
}

/** The environment of a fixture: no test-runner variables, so the default logger writes to stderr. */
function fixtureEnv(config: FixtureConfig): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('VITEST') || name === 'NODE_ENV' || name === 'KUBERNETES_SERVICE_HOST') continue;
    if (name.startsWith('LAMEDUCK_') || name === 'NODE_OPTIONS') continue;
    env[name] = value;
  }
  Object.assign(env, config.env);
  env.FIXTURE_CONFIG = JSON.stringify({
    options: config.options,
    hooks: config.hooks,
    holdLoop: config.holdLoop,
  });
  return env;
}

/**
 * Starts the fixture as a direct child (fork, IPC) or, with `pid1`, as PID 1 of a new PID
 * namespace through `unshare -Urpf --mount-proc --kill-child` (IPC passes through exec).
 * A guard timer SIGKILLs it after `guardMs` whatever happens.
 */
export async function startFixture(
  config: FixtureConfig,
  { pid1 = false, guardMs = 20_000 }: { pid1?: boolean; guardMs?: number } = {},
): Promise<RunningFixture> {
  const stdio: ['ignore', 'pipe', 'pipe', 'ipc'] = ['ignore', 'pipe', 'pipe', 'ipc'];
  const env = fixtureEnv(config);
  const child = pid1
    ? spawn('unshare', ['-Urpf', '--mount-proc', '--kill-child', process.execPath, FIXTURE], { env, stdio })
    : fork(FIXTURE, [], { env, stdio, execArgv: [] });
  running.add(child);
  const guard = setTimeout(() => child.kill('SIGKILL'), guardMs);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdout?.resume();
  const messages: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  child.on('message', (message: Record<string, unknown>) => {
    messages.push(message);
    for (const wake of waiters.splice(0)) wake();
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(guard);
      running.delete(child);
      resolve({ code, signal, at: Date.now() });
      for (const wake of waiters.splice(0)) wake();
    });
  });
  const message = (predicate: (m: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const found = messages.find(predicate);
        if (found) resolve(found);
        else if (child.exitCode !== null || child.signalCode !== null) {
          reject(
            new Error(`fixture exited (${child.exitCode ?? child.signalCode}) first; stderr:\n${stderr}`),
          );
        } else waiters.push(check);
      };
      check();
    });
  const ready = await message((m) => m.ready === true);
  const innerPid = Number(ready.pid);
  const pid = pid1 ? namespaceInitPid(child.pid ?? -1) : (child.pid ?? -1);
  return { child, port: Number(ready.port), innerPid, pid, exited, message, stderr: () => stderr };
}

/** The host-side pid of the process `unshare --fork` started (its only child). */
function namespaceInitPid(unsharePid: number): number {
  const children = readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8')
    .trim()
    .split(/\s+/);
  if (children.length !== 1 || children[0] === '') {
    throw new Error(`expected unshare (${unsharePid}) to have one child, found ${JSON.stringify(children)}`);
  }
  return Number(children[0]);
}

/** Whether `unshare -Urpf --mount-proc` works here; the error text when it does not. */
export function unshareProbe(): { ok: true } | { ok: false; reason: string } {
  const result = spawnSync('unshare', ['-Urpf', '--mount-proc', 'true'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (result.error) return { ok: false, reason: String(result.error) };
  if (result.status !== 0) return { ok: false, reason: result.stderr.trim() || `exit ${result.status}` };
  return { ok: true };
}

/** The JSON summary the default logger wrote to stderr at the end of the sequence. */
export function summaries(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => 'summary' in entry)
    .map((entry) => entry.summary as Record<string, unknown>);
}

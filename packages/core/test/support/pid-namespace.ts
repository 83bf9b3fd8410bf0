import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/signal-path/', import.meta.url));
const CORE_DIST = new URL('../../dist/index.js', import.meta.url).href;

/** One container entry, started as PID 1 of a new PID namespace. */
export interface Entry {
  /** As the docs' table shows it. */
  readonly entry: string;
  readonly argv: readonly string[];
  /** What must be installed for it to run. */
  readonly needs: readonly string[];
}

/** What happened after SIGTERM was sent to PID 1. */
export interface Outcome {
  readonly entry: string;
  /** node's lameduck started draining on SIGTERM. */
  readonly sawSigterm: boolean;
  /** node finished its drain and exited by itself (the whole point). */
  readonly drained: boolean;
  /** The namespace was still running SIGTERM_WAIT_MS after SIGTERM and had to be SIGKILLed. */
  readonly hung: boolean;
  /** lameduck's start-up signal-path warnings on stderr. */
  readonly warnings: readonly string[];
  readonly stderr: string;
}

const READY_TIMEOUT_MS = 60_000;
/** Drain delay of the fixture: node needs at least this long after SIGTERM to finish. */
const DRAIN_DELAY_MS = 1000;
/** How long to wait after SIGTERM for the namespace to end. */
const SIGTERM_WAIT_MS = 6000;

/** The environment of an entry: no test-runner variables, but npm_lifecycle_event kept on purpose. */
function entryEnv(out: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('VITEST') || name === 'NODE_ENV' || name === 'KUBERNETES_SERVICE_HOST') continue;
    if (name.startsWith('LAMEDUCK_') || name === 'NODE_OPTIONS' || name.startsWith('npm_')) continue;
    env[name] = value;
  }
  // Inherited by every process a test runner starts: the diagnostics must not go by it.
  env.npm_lifecycle_event = 'test';
  env.SIGNAL_PATH_OUT = out;
  env.SIGNAL_PATH_CORE = CORE_DIST;
  env.LAMEDUCK_DRAIN_DELAY_MS = String(DRAIN_DELAY_MS);
  return env;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}

/** The host-side pid of the namespace's PID 1 (the only child of `unshare --fork`). */
function namespaceInit(unsharePid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').trim();
    return children === '' ? undefined : Number(children.split(/\s+/)[0]);
  } catch {
    return undefined;
  }
}

/**
 * Starts `entry` as PID 1 of a fresh PID namespace (`unshare -Urpf --mount-proc`) in a copy of
 * the fixture project, waits until node listens, sends SIGTERM to PID 1 from outside (as the
 * container runtime does), and records whether node drained and exited by itself.
 */
export async function measure(entry: Entry): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), 'lameduck-signal-path-'));
  cpSync(FIXTURE_DIR, dir, { recursive: true });
  const out = join(dir, 'events.log');
  const child = spawn('unshare', ['-Urpf', '--mount-proc', '--kill-child', ...entry.argv], {
    cwd: dir,
    env: entryEnv(out),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  let ended = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      ended = true;
      resolve();
    }),
  );
  try {
    const startedAt = Date.now();
    while (!lines(out).includes('ready')) {
      if (ended) throw new Error(`${entry.entry} ended before node listened:\n${stderr}`);
      if (Date.now() - startedAt > READY_TIMEOUT_MS)
        throw new Error(`${entry.entry} never listened:\n${stderr}`);
      await sleep(50);
    }
    const init = namespaceInit(child.pid ?? -1);
    if (init === undefined) throw new Error(`${entry.entry}: no PID 1 found under unshare`);
    process.kill(init, 'SIGTERM');
    await Promise.race([exited, sleep(SIGTERM_WAIT_MS)]);
    const hung = !ended;
    if (hung) process.kill(init, 'SIGKILL');
    await exited;
    const events = lines(out);
    const warnings = stderr
      .split('\n')
      .filter((line) => line.startsWith('{') && line.includes('"check":"signal-path"'));
    return {
      entry: entry.entry,
      sawSigterm: events.includes('draining SIGTERM'),
      drained: events.includes('stopped'),
      hung,
      warnings,
      stderr,
    };
  } finally {
    if (!ended) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether `argv` runs here; the reason when it does not. */
export function available(command: readonly string[]): string | undefined {
  const [file, ...args] = command;
  const result = spawnSync(file ?? '', args, { encoding: 'utf8', timeout: 60_000 });
  if (result.error) return String(result.error.message);
  if (result.status !== 0)
    return (result.stderr || result.stdout).trim().split('\n')[0] ?? `exit ${result.status}`;
  return undefined;
}

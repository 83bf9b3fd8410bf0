import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Pid1Process {
  readonly url: string;
  /** The host PID of the node process that is PID 1 inside its namespace. */
  readonly pid: number;
  jsonLines(): Record<string, unknown>[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  kill(): void;
}

const started = new Set<Pid1Process>();

/**
 * Runs `node <file>` as PID 1 of a new PID namespace (`unshare -Urpf --mount-proc`, no root),
 * the way it runs in a container with exec-form CMD. A guard SIGKILLs it after `timeoutMs`.
 */
export async function startAsPid1(
  file: string,
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<Pid1Process> {
  const child: ChildProcess = spawn('unshare', ['-Urpf', '--mount-proc', process.execPath, file], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>(
    (resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() }));
    },
  );
  const jsonLines = () =>
    out
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  let pid = 0;
  const kill = () => {
    try {
      if (pid !== 0) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    child.kill('SIGKILL');
  };
  const guard = setTimeout(kill, timeoutMs);
  void exited.then(() => clearTimeout(guard));
  const deadline = Date.now() + 20_000;
  let port: number | undefined;
  while (port === undefined) {
    if (child.exitCode !== null || Date.now() > deadline) {
      kill();
      throw new Error(`${file} did not start as PID 1. stderr:\n${err}`);
    }
    port = jsonLines().find((line) => line.msg === 'listening')?.port as number | undefined;
    if (port === undefined) await sleep(25);
  }
  // unshare -f forks the command: its only child is our PID 1.
  const children = await readFile(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8');
  pid = Number(children.trim().split(/\s+/)[0]);
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  if (!/^NSpid:\s+\d+\s+1$/m.test(status)) throw new Error(`process ${pid} is not PID 1 in its namespace`);
  const handle: Pid1Process = { url: `http://127.0.0.1:${port}`, pid, jsonLines, exited, kill };
  started.add(handle);
  return handle;
}

export function killPid1Processes(): void {
  for (const handle of started) handle.kill();
  started.clear();
}

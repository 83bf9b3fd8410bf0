import { type ChildProcess, spawn } from 'node:child_process';

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** When the process exited (Date.now()). */
  readonly at: number;
}

/** A server started as a real child process (`node <file>`, no npm, no shell). */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  /** Everything the child printed so far. */
  stdout(): string;
  stderr(): string;
  /** The stdout lines that parse as JSON. */
  jsonLines(): Record<string, unknown>[];
  /** Resolves when the child exits. */
  readonly exited: Promise<Exit>;
  /** Sends a signal and returns when it was sent (Date.now()). */
  signal(signal: NodeJS.Signals): number;
}

export interface StartOptions {
  /** Extra environment; PORT=0 and HOST=127.0.0.1 are set unless given. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Hard limit on the child's life; SIGKILL after it. @default 60000 */
  readonly timeoutMs?: number;
}

const running = new Set<ChildProcess>();

/**
 * Starts `node <file>` and resolves once it prints `{"msg":"listening","port":N}` on stdout.
 * A guard kills it with SIGKILL after `timeoutMs` (SIGKILL, so that the guard never starts the
 * very shutdown a test observes). Rejects, with the child's stderr, if it exits first.
 */
export function startServerProcess(file: string, options: StartOptions = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [file], {
    cwd: options.cwd,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const guard = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(guard);
      running.delete(child);
      resolve({ code, signal, at: Date.now() });
    });
  });
  const jsonLines = (): Record<string, unknown>[] =>
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

  return new Promise((resolve, reject) => {
    const onData = () => {
      const listening = jsonLines().find((line) => line.msg === 'listening' && typeof line.port === 'number');
      if (listening === undefined) return;
      child.stdout?.off('data', onData);
      const port = listening.port as number;
      resolve({
        child,
        port,
        url: `http://127.0.0.1:${port}`,
        stdout: () => out,
        stderr: () => err,
        jsonLines,
        exited,
        signal(signal) {
          const at = Date.now();
          child.kill(signal);
          return at;
        },
      });
    };
    child.stdout?.on('data', onData);
    void exited.then((exit) =>
      reject(new Error(`${file} exited (${exit.code ?? exit.signal}) before listening. stderr:\n${err}`)),
    );
  });
}

/** Kills (SIGKILL) every child this module started that is still running: for afterEach. */
export async function killServerProcesses(): Promise<void> {
  const left = [...running];
  await Promise.all(
    left.map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ErrorCodes, LameduckError } from '@lameduck/core';
import { findFreePort, httpGet, LOOPBACK, sleep } from './net-util.js';

const READINESS_POLL_MS = 100;
const TAIL_LINES = 20;

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** `performance.now()` at exit. */
  readonly at: number;
}

export interface ReplicaSpec {
  readonly name: string;
  readonly command: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** A port picked beforehand (HAProxy's config names every port up front); a free one otherwise. */
  readonly port?: number;
  readonly onOutput?: (pod: string, line: string) => void;
}

/** One replica: a child process spawned directly (no shell) with `PORT` and `HOST` set. */
export class Replica {
  readonly exited: Promise<ExitInfo>;
  private exitInfo: ExitInfo | undefined;
  private readonly tail: string[] = [];

  private constructor(
    readonly name: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal, at: performance.now() };
        resolve(this.exitInfo);
      });
    });
  }

  /** Spawns the replica. Rejects (SIMULATION_SETUP) when the command cannot be started. */
  static async spawn(spec: ReplicaSpec): Promise<Replica> {
    const port = spec.port ?? (await findFreePort());
    const [file, ...args] = spec.command;
    if (file === undefined) throw setupError('the replica command is empty');
    const child = spawn(file, args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env, PORT: String(port), HOST: LOOPBACK },
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
    });
    const replica = new Replica(spec.name, port, child);
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      createInterface({ input: stream }).on('line', (line) => replica.remember(line, spec.onOutput));
    }
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          setupError(
            `could not start ${JSON.stringify(file)} for ${spec.name} (${error.code ?? error.message}). Check the command after \`--\`; it runs without a shell, so write \`-- node server.js\`, not an npm script.`,
          ),
        ),
      );
    });
    return replica;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** The last lines the replica printed, for error messages. */
  lastOutput(): string {
    return this.tail.join('\n');
  }

  /** Polls the readiness probe until it answers 200; rejects when the replica exits or time runs out. */
  async waitReady(path: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let last = 'no answer yet';
    while (performance.now() < deadline) {
      if (signal?.aborted) throw setupError('aborted');
      if (!this.running) {
        throw setupError(
          `${this.name} (pid ${this.pid}) exited with ${describeExit(this.exitInfo)} before its readiness probe GET ${path} answered 200.${this.outputHint()}`,
        );
      }
      const answer = await httpGet(this.port, path, 1000);
      if (answer.status === 200) return;
      last = answer.status !== undefined ? `HTTP ${answer.status}` : (answer.error ?? 'no answer');
      await sleep(READINESS_POLL_MS, signal);
    }
    throw setupError(
      `${this.name} (pid ${this.pid}) did not answer GET ${path} on port ${this.port} with 200 within ${timeoutMs} ms (last answer: ${last}). The service must listen on $PORT and serve the readiness path (--readiness-path).${this.outputHint()}`,
    );
  }

  /** Sends a signal to the process itself (never to a shell). */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  private remember(line: string, onOutput?: (pod: string, line: string) => void): void {
    this.tail.push(line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
    onOutput?.(this.name, line);
  }

  private outputHint(): string {
    const output = this.lastOutput();
    return output === '' ? '' : `\nIts last output:\n${output}`;
  }
}

export function describeExit(info: { code: number | null; signal: string | null } | undefined): string {
  if (info === undefined) return 'no exit yet';
  return info.signal !== null ? `signal ${info.signal}` : `code ${info.code}`;
}

export function setupError(message: string): LameduckError {
  return new LameduckError(ErrorCodes.SIMULATION_SETUP, `lameduck simulate: ${message}`);
}

/** Every process the simulation started, so that all of them die with it. */
export class ProcessRegistry {
  private readonly replicas = new Set<Replica>();
  private readonly others = new Set<ChildProcess>();
  /** Set by killAll: a process that finishes spawning after it (an aborted run) dies at once. */
  private closed = false;

  add(replica: Replica): void {
    this.replicas.add(replica);
    if (this.closed) replica.signal('SIGKILL');
  }

  addChild(child: ChildProcess): void {
    this.others.add(child);
    if (this.closed) this.killAllNow();
  }

  /** SIGKILLs every process still running, by PID, and waits for the replicas to exit. */
  async killAll(): Promise<void> {
    this.closed = true;
    this.killAllNow();
    await Promise.all([...this.replicas].map((replica) => replica.exited));
  }

  /** Synchronous variant for `process.on('exit')`. */
  killAllNow(): void {
    for (const replica of this.replicas) replica.signal('SIGKILL');
    for (const child of this.others) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
}

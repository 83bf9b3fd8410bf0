import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ErrorCodes, LameduckError } from '@lameduck/core';
import {
  childPidOf,
  containerSupport,
  describeProcess,
  isLiveProcess,
  namespaceProcesses,
  UNSHARE_ARGS,
  UNSHARE_SIGKILL_LINE,
} from './container.js';
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
  /** The address the replica listens on (its pod IP). @default 127.0.0.1 */
  readonly host?: string;
  /** A port picked beforehand (HAProxy's config names every port up front); a free one otherwise. */
  readonly port?: number;
  readonly onOutput?: (pod: string, line: string) => void;
}

/** How a replica is isolated: a container-like PID namespace, or (without unshare) a process group. */
export type Isolation = 'pid-namespace' | 'process-group';

/** A process of the replica, as the report names it. */
export interface ReplicaProcess {
  readonly pid: number;
  readonly name: string;
}

/**
 * One replica, run the way a container runs: the command is PID 1 of its own PID namespace
 * (container.ts), spawned directly (no shell) with `PORT` and `HOST` set. Signals go to that
 * PID 1 only; when it exits, everything left in the replica dies with it.
 */
export class Replica {
  readonly exited: Promise<ExitInfo>;
  private exitInfo: ExitInfo | undefined;
  private readonly tail: string[] = [];
  private pid1: number;
  private diedOfSigkill = false;
  private lastSeen: readonly ReplicaProcess[] = [];
  private watcher: NodeJS.Timeout | undefined;

  private constructor(
    readonly name: string,
    readonly host: string,
    readonly port: number,
    private readonly child: ChildProcess,
    readonly isolation: Isolation,
  ) {
    this.pid1 = isolation === 'process-group' ? (child.pid ?? -1) : -1;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        const at = performance.now();
        this.stopWatching();
        // The last lines (unshare's own) may still be in the pipe: wait for it to close, briefly.
        const settle = () => {
          if (this.exitInfo !== undefined) return;
          this.exitInfo = this.diedOfSigkill ? { code: null, signal: 'SIGKILL', at } : { code, signal, at };
          // What the container runtime does when PID 1 is gone: nothing of the replica survives.
          if (isolation === 'process-group') killGroup(child.pid);
          resolve(this.exitInfo);
        };
        child.once('close', settle);
        setTimeout(settle, 200).unref();
      });
    });
  }

  /** Spawns the replica. Rejects (SIMULATION_SETUP) when the command cannot be started. */
  static async spawn(spec: ReplicaSpec): Promise<Replica> {
    const port = spec.port ?? (await findFreePort());
    const host = spec.host ?? LOOPBACK;
    const [file, ...args] = spec.command;
    if (file === undefined) throw setupError('the replica command is empty');
    const container = containerSupport().available;
    const child = spawn(container ? 'unshare' : file, container ? [...UNSHARE_ARGS, file, ...args] : args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env, PORT: String(port), HOST: host },
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
      // Without a PID namespace, a process group stands in for the replica.
      detached: !container,
    });
    const replica = new Replica(spec.name, host, port, child, container ? 'pid-namespace' : 'process-group');
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      createInterface({ input: stream }).on('line', (line) => replica.remember(line, spec.onOutput));
    }
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          setupError(
            `could not start ${JSON.stringify(file)} for ${spec.name} (${error.code ?? error.message}). Check the command after \`--\`; it runs without a shell, so write \`-- node server.js\`, or \`-- sh -c '…'\` for a shell line.`,
          ),
        ),
      );
    });
    if (container) await replica.findPid1();
    return replica;
  }

  /** The host PID of the replica's PID 1 (the command itself). */
  get pid(): number {
    return this.pid1;
  }

  /** What PID 1 is now: its name (`node`, `npm`, `sh`) and command line. */
  describePid1(): { readonly name: string; readonly commandLine: string } {
    return describeProcess(this.pid1);
  }

  /** The processes in the replica now (PID 1 included), as seen inside it. */
  processes(): readonly ReplicaProcess[] {
    if (!this.running) return [];
    return this.isolation === 'pid-namespace'
      ? namespaceProcesses(this.pid1)
      : [{ pid: this.pid1, name: describeProcess(this.pid1).name }];
  }

  /**
   * Looks at the replica's processes every `periodMs` until it exits: `leftBehind()` then names
   * the ones that were still there besides PID 1 (the runtime killed them with it).
   */
  watchProcesses(periodMs: number): void {
    if (this.watcher !== undefined || !this.running) return;
    const look = () => {
      // Only a look taken wholly while PID 1 lived counts: once it is exiting, the kernel is
      // already killing the rest, and a half-gone namespace would name too few processes.
      if (this.isolation === 'pid-namespace' && !isLiveProcess(this.pid1)) return;
      const seen = this.processes();
      if (this.isolation === 'pid-namespace' && !isLiveProcess(this.pid1)) return;
      if (this.running && seen.length > 0) this.lastSeen = seen;
    };
    look();
    this.watcher = setInterval(look, periodMs);
    this.watcher.unref();
  }

  /** Processes other than PID 1 seen in the replica last before PID 1 exited. */
  leftBehind(): readonly ReplicaProcess[] {
    return this.lastSeen.filter((process) => process.pid !== 1 && process.pid !== this.pid1);
  }

  private stopWatching(): void {
    if (this.watcher !== undefined) clearInterval(this.watcher);
    this.watcher = undefined;
  }

  /** unshare forks PID 1 right away; find its host PID (/proc has no children list here). */
  private async findPid1(): Promise<void> {
    const outer = this.child.pid ?? -1;
    const deadline = performance.now() + 5000;
    while (performance.now() < deadline && this.running) {
      const pid = childPidOf(outer);
      if (pid !== undefined) {
        this.pid1 = pid;
        return;
      }
      await sleep(5);
    }
    if (this.running) {
      this.child.kill('SIGKILL');
      throw setupError(`could not find PID 1 of ${this.name} under unshare (pid ${outer}).`);
    }
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
      const answer = await httpGet(this.port, path, 1000, {}, this.host);
      if (answer.status === 200) return;
      last = answer.status !== undefined ? `HTTP ${answer.status}` : (answer.error ?? 'no answer');
      await sleep(READINESS_POLL_MS, signal);
    }
    throw setupError(
      `${this.name} (pid ${this.pid}) did not answer GET ${path} on port ${this.port} with 200 within ${timeoutMs} ms (last answer: ${last}). The service must listen on $HOST (or 0.0.0.0) and $PORT and serve the readiness path (--readiness-path).${this.outputHint()}`,
    );
  }

  /**
   * Sends a signal to PID 1 only, the way a container runtime does (never to a process group,
   * never to unshare, which does not pass signals on). After a SIGKILL, unshare reaps PID 1 and
   * exits; the kernel has already killed the rest of the namespace.
   */
  signal(signal: NodeJS.Signals): void {
    if (!this.running) return;
    if (this.pid1 <= 0) {
      if (signal === 'SIGKILL') this.killNow();
      return;
    }
    try {
      process.kill(this.pid1, signal);
    } catch {
      // already gone
    }
    if (signal === 'SIGKILL' && this.isolation === 'process-group') killGroup(this.child.pid);
  }

  /** Kills everything of the replica at once, synchronously (for `process.on('exit')`). */
  killNow(): void {
    if (!this.running) return;
    try {
      if (this.pid1 > 0) process.kill(this.pid1, 'SIGKILL');
    } catch {
      // already gone
    }
    if (this.isolation === 'process-group') killGroup(this.child.pid);
    else this.child.kill('SIGKILL');
  }

  private remember(line: string, onOutput?: (pod: string, line: string) => void): void {
    if (this.isolation === 'pid-namespace' && UNSHARE_SIGKILL_LINE.test(line)) {
      this.diedOfSigkill = true;
      return;
    }
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

/** SIGKILLs a whole process group (the replica without a PID namespace). */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // nothing left
  }
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

  /**
   * Kills every replica still running (PID 1 and all it started) and resolves with the
   * processes that were in them: what a run leaves behind is zero, whatever the command did.
   */
  async killReplicas(): Promise<ReplicaProcess[]> {
    const killed: ReplicaProcess[] = [];
    for (const replica of this.replicas) {
      if (!replica.running) continue;
      killed.push(...replica.processes());
      replica.signal('SIGKILL');
    }
    await Promise.all([...this.replicas].map((replica) => replica.exited));
    return killed;
  }

  /** SIGKILLs every process still running, by PID, and waits for the replicas to exit. */
  async killAll(): Promise<void> {
    this.closed = true;
    // PID 1 first, so that unshare reaps it (killing unshare too would leave a zombie to init).
    for (const replica of this.replicas) replica.signal('SIGKILL');
    for (const child of this.others) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await Promise.all([...this.replicas].map((replica) => replica.exited));
  }

  /** Synchronous variant for `process.on('exit')`. */
  killAllNow(): void {
    for (const replica of this.replicas) replica.killNow();
    for (const child of this.others) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
}

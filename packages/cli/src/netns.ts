import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type ErrorCode, LameduckError } from '@lameduck/core';
import { builtScript } from './built-script.js';
import { setupError } from './replicas.js';
import type { ProgressUpdate, SimulationOptions, SimulationReport } from './types.js';

/**
 * `--lb nftables` runs the whole simulation (replicas, balancer rules, load, probes) in a user +
 * network namespace of its own (`unshare --user --map-root-user --net`, no root needed), inside
 * a PID namespace too, so that killing it kills everything it started. The simulator re-executes
 * itself there (netns-child.ts) and talks to that copy over an IPC channel.
 */
export const NETNS_ENV = 'LAMEDUCK_SIMULATE_NETNS';
const NETNS_ARGS = [
  '--user',
  '--map-root-user',
  '--net',
  '--pid',
  '--fork',
  '--mount-proc',
  '--kill-child',
  '--',
] as const;

export interface NetnsSupport {
  readonly available: boolean;
  readonly reason?: string;
}

let support: NetnsSupport | undefined;

/** Whether this machine can run the nftables balancer (checked once per process). */
export function netnsSupport(): NetnsSupport {
  if (support !== undefined) return support;
  if (process.env[NETNS_ENV] === '1') {
    support = { available: true };
    return support;
  }
  const probe = spawnSync(
    'unshare',
    ['--user', '--map-root-user', '--net', '--', 'sh', '-c', 'ip link set lo up && nft list ruleset'],
    { stdio: 'pipe', timeout: 10_000, encoding: 'utf8' },
  );
  if (probe.error !== undefined || probe.status !== 0) {
    const missing = ['unshare', 'nft', 'ip'].filter((tool) => !onPath(tool));
    const why =
      missing.length > 0
        ? `${missing.join(', ')} not found (Debian/Ubuntu: apt-get install -y util-linux nftables iproute2)`
        : `an unprivileged user + network namespace with nftables did not work here (${(probe.stderr ?? '').trim() || `exit ${probe.status}`})`;
    support = { available: false, reason: why };
  } else support = { available: true };
  return support;
}

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '/usr/bin:/bin:/usr/sbin:/sbin')
    .split(':')
    .concat(['/usr/sbin', '/sbin'])
    .some((dir) => dir !== '' && existsSync(join(dir, tool)));
}

/** True in the copy that already runs inside the namespace. */
export function insideNetns(): boolean {
  return process.env[NETNS_ENV] === '1';
}

/** The options that cross the IPC channel (no callbacks, no AbortSignal). */
function serializable(options: SimulationOptions): SimulationOptions {
  const { onProgress: _p, onReplicaOutput: _o, signal: _s, ...rest } = options;
  return rest;
}

export type ChildMessage =
  | { readonly type: 'progress'; readonly update: ProgressUpdate }
  | { readonly type: 'output'; readonly pod: string; readonly line: string }
  | { readonly type: 'report'; readonly report: SimulationReport }
  | { readonly type: 'error'; readonly code: string; readonly message: string };

export type ParentMessage =
  | { readonly type: 'run'; readonly options: SimulationOptions }
  | { readonly type: 'abort' };

/** Runs `simulate(options)` in the namespace and resolves with its report. */
export function simulateInNetns(options: SimulationOptions): Promise<SimulationReport> {
  const script = builtScript('netns-child.js', '--lb nftables');
  const child: ChildProcess = spawn('unshare', [...NETNS_ARGS, process.execPath, script], {
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, [NETNS_ENV]: '1' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const killNow = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killNow);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  child.stdout?.resume();
  return new Promise<SimulationReport>((resolve, reject) => {
    let settled: { report?: SimulationReport; error?: LameduckError } | undefined;
    const onAbort = () => child.send({ type: 'abort' } satisfies ParentMessage);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('message', (raw) => {
      const message = raw as ChildMessage;
      // Once aborted, nothing more is reported (as in-process): a tick already on its way over IPC is dropped.
      if (message.type === 'progress') {
        if (!options.signal?.aborted) options.onProgress?.(message.update);
      } else if (message.type === 'output') options.onReplicaOutput?.(message.pod, message.line);
      else if (message.type === 'report') settled = { report: message.report };
      else settled = { error: new LameduckError(message.code as ErrorCode, message.message) };
    });
    child.once('error', (error) => reject(setupError(`could not start unshare (${error.message})`)));
    child.once('spawn', () => {
      child.send({ type: 'run', options: serializable(options) } satisfies ParentMessage);
      // Stops the wait should the child hang after aborting.
      if (options.signal?.aborted) onAbort();
    });
    child.once('exit', (code, signal) => {
      process.removeListener('exit', killNow);
      options.signal?.removeEventListener('abort', onAbort);
      if (settled?.report !== undefined) resolve(settled.report);
      else if (settled?.error !== undefined) reject(settled.error);
      else
        reject(
          setupError(
            `the namespace of --lb nftables ended (${signal ?? `code ${code}`}) without a report.${stderr ? `\n${stderr}` : ''}`,
          ),
        );
    });
  });
}

import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Replicas run the way a container runtime runs them: the command is PID 1 of its own PID
 * namespace (util-linux `unshare`, which needs no root: a user namespace comes with it), signals
 * go to that PID 1 only, and when PID 1 exits the kernel kills every process left in the
 * namespace at once. `--kill-child` ties PID 1 to the `unshare` process: killing `unshare` with
 * SIGKILL tears the whole replica down.
 */
export const UNSHARE_ARGS: readonly string[] = Object.freeze([
  '--user',
  '--map-root-user',
  '--pid',
  '--fork',
  '--mount-proc',
  '--kill-child',
  '--',
]);

/** What `unshare` prints when its child died of SIGKILL (it cannot re-raise SIGKILL on itself). */
export const UNSHARE_SIGKILL_LINE = /^unshare: sigprocmask unblock failed/;

export interface ContainerSupport {
  readonly available: boolean;
  /** Why replicas cannot be containers here, and what the simulator does instead. */
  readonly reason?: string;
}

let support: ContainerSupport | undefined;

/** Whether `unshare` can make a PID namespace here (checked once per process). */
export function containerSupport(): ContainerSupport {
  if (support !== undefined) return support;
  const probe = spawnSync('unshare', [...UNSHARE_ARGS, 'true'], { stdio: 'pipe', timeout: 10_000 });
  if (probe.error !== undefined || probe.status !== 0) {
    const why =
      (probe.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
        ? 'unshare is not installed (util-linux)'
        : `unshare could not make a user + PID namespace (${String(probe.stderr ?? '').trim() || `exit ${probe.status}`}; unprivileged user namespaces may be disabled: sysctl kernel.unprivileged_userns_clone / user.max_user_namespaces)`;
    support = {
      available: false,
      reason: `${why}. Replicas run as plain child processes in their own process group instead: SIGTERM reaches the command itself, and the whole group is killed when the command exits`,
    };
  } else support = { available: true };
  return support;
}

/** The PID of the (first) child of `parent`, from /proc; undefined while there is none. */
export function childPidOf(parent: number): number | undefined {
  for (const entry of safeReaddir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry);
    if (fields !== undefined && Number(fields[1]) === parent) return Number(entry);
  }
  return undefined;
}

/** A process's short name and command line, for the report ("npm start", "sh -c …"). */
export function describeProcess(pid: number): { readonly name: string; readonly commandLine: string } {
  const name = (safeRead(`/proc/${pid}/comm`) ?? '').trim();
  const commandLine = (safeRead(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean).join(' ');
  return { name, commandLine };
}

/**
 * The processes of the PID namespace whose PID 1 is `pid1` (host PID), as seen inside it. A
 * process that is gone before its name could be read is left out.
 */
export function namespaceProcesses(pid1: number): { readonly pid: number; readonly name: string }[] {
  const root = `/proc/${pid1}/root/proc`;
  const found: { pid: number; name: string }[] = [];
  for (const entry of safeReaddir(root)) {
    if (!/^\d+$/.test(entry)) continue;
    const name = safeRead(`${root}/${entry}/comm`)?.trim();
    if (name !== undefined && name !== '') found.push({ pid: Number(entry), name });
  }
  return found;
}

/** The kernel's PF_EXITING task flag (include/linux/sched.h): the task is in do_exit(). */
const PF_EXITING = 0x4;

/**
 * Whether `pid` (host PID) is alive and not yet exiting. Once a namespace's PID 1 is exiting,
 * the kernel is killing everything else in it, so a look inside is no longer "before it exited".
 */
export function isLiveProcess(pid: number): boolean {
  const fields = statFields(String(pid));
  if (fields === undefined) return false;
  const state = fields[0];
  const flags = Number(fields[6]);
  return state !== 'Z' && state !== 'X' && Number.isFinite(flags) && (flags & PF_EXITING) === 0;
}

/**
 * The fields of `/proc/<pid>/stat` after the command name: state, ppid, pgrp, session, tty_nr,
 * tpgid, flags, … (the name may hold spaces and parentheses, so it is cut at the last `)`).
 */
function statFields(pid: string): string[] | undefined {
  const stat = safeRead(`/proc/${pid}/stat`);
  return stat === undefined ? undefined : stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function safeReaddir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

function safeRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

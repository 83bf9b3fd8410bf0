import { readFileSync, readlinkSync } from 'node:fs';

/** One process on the path from PID 1 down to node, as `/proc` shows it. */
export interface ProcessHop {
  readonly pid: number;
  readonly parentPid: number;
  /** `/proc/<pid>/status` Name: the command name (a script's file name, or a process title). */
  readonly name: string;
  /** `/proc/<pid>/cmdline`, split on NUL. */
  readonly argv: readonly string[];
  /** SIGTERM has a handler (SigCgt) or is blocked to be collected with sigwait (SigBlk, as tini does). */
  readonly takesSigterm: boolean;
}

/** Why SIGTERM sent to PID 1 does not reach node, with the hop that stops it. */
export interface SignalPathFinding {
  /** `PID 1 \`npm start\` → \`sh -c node server.js\` → node (this process)` */
  readonly path: string;
  /** The process that keeps SIGTERM from node. */
  readonly culprit: string;
  readonly why: string;
}

/** The inode of the initial (host) PID namespace, a constant of the Linux kernel (PROC_PID_INIT_INO). */
const HOST_PID_NAMESPACE = 'pid:[4026531836]';
const SIGTERM_BIT = 1n << 14n;
const MAX_HOPS = 64;

const SHELLS = new Set(['sh', 'dash', 'bash', 'ash', 'zsh', 'ksh', 'mksh', 'busybox']);
/** Inits that pass SIGTERM on to their one child (tini without -g; Docker's --init is tini). */
const CHILD_FORWARDERS = new Set(['tini', 'tini-static', 'docker-init', 'catatonit']);
/** Inits that signal the whole process group of their child, then exit when that child exits. */
const GROUP_FORWARDERS = new Set(['dumb-init']);
const PACKAGE_MANAGER = /^(npm|npx|pnpm|pnpx|yarn|yarnpkg|corepack|bun)\b|^npm exec\b/;
const PACKAGE_MANAGER_SCRIPT = /(^|\/)(npm|npx|pnpm|pnpx|yarn|yarnpkg|corepack)(-cli)?(\.c?js)?$/;

function field(status: string, name: string): string | undefined {
  const match = new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status);
  return match?.[1]?.trim();
}

function mask(status: string, name: string): bigint {
  const value = field(status, name);
  return value !== undefined && /^[0-9a-f]+$/i.test(value) ? BigInt(`0x${value}`) : 0n;
}

/** Reads one process from `procRoot` (`/proc`); undefined when it cannot be read. */
export function readHop(procRoot: string, pid: number): ProcessHop | undefined {
  try {
    const status = readFileSync(`${procRoot}/${pid}/status`, 'utf8');
    const argv = readFileSync(`${procRoot}/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const takes = (mask(status, 'SigCgt') | mask(status, 'SigBlk')) & SIGTERM_BIT;
    return {
      pid,
      parentPid: Number(field(status, 'PPid') ?? 0),
      name: field(status, 'Name') ?? '',
      argv,
      takesSigterm: takes !== 0n,
    };
  } catch {
    return undefined;
  }
}

/**
 * The processes from PID 1 down to `pid`, or undefined when the signal path does not matter
 * here: the host's PID namespace (a terminal signals the whole process group), a process whose
 * ancestry leaves the namespace before PID 1 (`kubectl exec`, a shared process namespace whose
 * PID 1 is `/pause`), or a `/proc` that cannot be read (not Linux, hidepid).
 */
export function readSignalPath(procRoot = '/proc', pid = process.pid): ProcessHop[] | undefined {
  try {
    if (readlinkSync(`${procRoot}/self/ns/pid`) === HOST_PID_NAMESPACE) return undefined;
  } catch {
    return undefined;
  }
  const hops: ProcessHop[] = [];
  let current = pid;
  while (hops.length < MAX_HOPS) {
    const hop = readHop(procRoot, current);
    if (hop === undefined) return undefined;
    hops.unshift(hop);
    if (hop.pid === 1) return hops;
    if (hop.parentPid <= 0) return undefined;
    current = hop.parentPid;
  }
  return undefined;
}

function program(hop: ProcessHop): string {
  const first = hop.argv[0] ?? hop.name;
  return first.slice(first.lastIndexOf('/') + 1);
}

function isShell(hop: ProcessHop): boolean {
  return SHELLS.has(program(hop)) || SHELLS.has(hop.name);
}

function isPackageManager(hop: ProcessHop): boolean {
  if (PACKAGE_MANAGER.test(hop.name) || PACKAGE_MANAGER.test(program(hop))) return true;
  // A package manager run by node keeps `node` as its name: look at the script it runs.
  const script =
    program(hop) === 'node' ? hop.argv.find((arg, i) => i > 0 && !arg.startsWith('-')) : undefined;
  return script !== undefined && PACKAGE_MANAGER_SCRIPT.test(script);
}

/** An init's own flags: the arguments before `--` or the program it runs. */
function ownFlags(hop: ProcessHop): string[] {
  const flags: string[] = [];
  for (const arg of hop.argv.slice(1)) {
    if (arg === '--' || !arg.startsWith('-')) break;
    flags.push(arg);
  }
  return flags;
}

// Known inits are recognised by name: tini waits for signals in sigtimedwait(), during which
// /proc shows SIGTERM neither caught nor blocked, yet it is delivered (measured).
function forwardsToGroup(hop: ProcessHop): boolean {
  const flags = ownFlags(hop);
  if (GROUP_FORWARDERS.has(hop.name)) return !flags.some((f) => f === '-c' || f === '--single-child');
  return CHILD_FORWARDERS.has(hop.name) && flags.includes('-g');
}

function forwardsToChild(hop: ProcessHop): boolean {
  return CHILD_FORWARDERS.has(hop.name) || GROUP_FORWARDERS.has(hop.name);
}

function describeHop(hop: ProcessHop, self: boolean): string {
  if (self) return 'node (this process)';
  const line = hop.argv.join(' ') || hop.name;
  return `\`${line.length > 60 ? `${line.slice(0, 57)}...` : line}\``;
}

/**
 * Follows SIGTERM from PID 1 down to the last hop (node). Each verdict comes from what was
 * measured with each entry as PID 1 of a PID namespace (see the core README's table): a
 * package manager or a shell that did not `exec` stops it; tini passes it to its child;
 * dumb-init signals the process group but exits, and so ends the container, when its child
 * does. A process lameduck does not know that handles SIGTERM itself is given the benefit of
 * the doubt: no finding.
 */
export function judgeSignalPath(hops: readonly ProcessHop[]): SignalPathFinding | undefined {
  const last = hops.length - 1;
  const path = `PID 1 ${hops.map((hop, i) => describeHop(hop, i === last)).join(' → ')}`;
  for (let i = 0; i < last; i += 1) {
    const hop = hops[i] as ProcessHop;
    const culprit = describeHop(hop, false);
    const asPid1 = hop.pid === 1;
    if (isPackageManager(hop)) {
      return {
        path,
        culprit,
        why: `${culprit} is a package manager: on SIGTERM it stops its script's shell and exits, and node is killed without ever seeing the signal`,
      };
    }
    if (isShell(hop)) {
      if (hop.takesSigterm) return undefined; // a trap the script set: it forwards on purpose
      return {
        path,
        culprit,
        why: asPid1
          ? `${culprit} is a shell that did not \`exec\` node: as PID 1 it ignores SIGTERM, so node runs on until SIGKILL`
          : `${culprit} is a shell that did not \`exec\` node: SIGTERM ends the shell and node is killed without ever seeing it`,
      };
    }
    if (forwardsToGroup(hop)) {
      if (i + 1 === last) return undefined;
      return {
        path,
        culprit: describeHop(hops[i + 1] as ProcessHop, false),
        why: `${culprit} signals the whole process group but exits as soon as its child ${describeHop(hops[i + 1] as ProcessHop, false)} does, which ends the container while node is still draining`,
      };
    }
    if (forwardsToChild(hop)) continue;
    if (hop.takesSigterm) return undefined; // unknown, but it handles SIGTERM: trust it
    return {
      path,
      culprit,
      why: asPid1
        ? `${culprit} does not handle SIGTERM, and PID 1 ignores signals it does not handle, so node runs on until SIGKILL`
        : `${culprit} does not handle SIGTERM: the signal ends it and node is killed without ever seeing it`,
    };
  }
  return undefined;
}

/** The one start-up warning, naming the fix. */
export function signalPathMessage(finding: SignalPathFinding): string {
  return `lameduck: SIGTERM will not reach node, so every deploy kills this process mid-request instead of draining it. Signal path: ${finding.path}. ${finding.why}. Fix: make node PID 1 with an exec-form entry (CMD ["node", "server.js"]), end an entry script with \`exec node server.js\`, or use an init that passes signals on to node (tini -- node server.js, dumb-init node server.js); never npm/pnpm/yarn start as the entry.`;
}

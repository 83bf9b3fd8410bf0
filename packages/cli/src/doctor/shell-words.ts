import { scanCommandLine } from '../command-line.js';

/** A shell command line's simple commands, each as words (see scanCommandLine). */
export function simpleCommands(text: string): string[][] {
  return scanCommandLine(text).commands;
}

/** The words of a command without leading `VAR=value` assignments. */
export function withoutAssignments(words: readonly string[]): string[] {
  let i = 0;
  while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i] as string)) i += 1;
  return words.slice(i);
}

/** `/usr/local/bin/node` → `node` */
export function programName(word: string | undefined): string {
  if (word === undefined) return '';
  return word.slice(word.lastIndexOf('/') + 1);
}

const PACKAGE_MANAGERS = new Set(['npm', 'npx', 'pnpm', 'pnpx', 'yarn', 'yarnpkg', 'corepack']);
const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh']);
const NODES = new Set(['node', 'nodejs']);
/** Inits that pass SIGTERM on to node when node is their direct child (measured). */
export const INITS = new Set(['tini', 'tini-static', 'dumb-init', 'docker-init', 'catatonit']);

export const isPackageManager = (word: string | undefined) => PACKAGE_MANAGERS.has(programName(word));
export const isShell = (word: string | undefined) => SHELLS.has(programName(word));
export const isNode = (word: string | undefined) => NODES.has(programName(word));

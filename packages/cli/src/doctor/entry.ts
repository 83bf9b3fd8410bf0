import type { Hit } from './findings.js';
import {
  INITS,
  isNode,
  isPackageManager,
  isShell,
  programName,
  simpleCommands,
  withoutAssignments,
} from './shell-words.js';

/** An entry script's text, from a file or a Dockerfile heredoc (`COPY <<EOF /start.sh`). */
export interface ScriptSource {
  readonly file: string;
  readonly text: string;
  /** Line of the file where `text` starts (1 for a whole file). */
  readonly firstLine: number;
}

/** Finds the script a container entry names (`./start.sh`, `/app/entrypoint.sh`). */
export type ScriptLookup = (path: string) => ScriptSource | undefined;

/** A finding in another file than the one whose entry was followed (the entry script). */
export interface ScriptHit extends Hit {
  readonly file: string;
}

/** What following one container entry found: on the entry's own line, and in its scripts. */
export interface EntryVerdict {
  readonly hits: Hit[];
  readonly scriptHits: ScriptHit[];
}

/** The node official image's entrypoint: `exec "$@"` (with `node` in front of flags). */
const PASS_THROUGH = new Set(['docker-entrypoint.sh']);
const MAX_DEPTH = 8;

function dropInit(argv: readonly string[]): string[] {
  let i = 1;
  while (i < argv.length && (argv[i] as string).startsWith('-')) {
    if (argv[i] === '--') {
      i += 1;
      break;
    }
    i += 1;
  }
  return argv.slice(i);
}

/**
 * Follows a container's command (ENTRYPOINT + CMD as argv) the way SIGTERM would: through
 * inits, pass-through entrypoints and entry scripts, down to the program that runs, and says
 * what keeps the signal from node. `shellForm`: the argv is `/bin/sh -c <CMD text>`.
 */
export function followEntry(
  argv: readonly string[],
  line: number,
  lookup: ScriptLookup,
  shellForm: boolean,
  depth = 0,
): EntryVerdict {
  const verdict: EntryVerdict = { hits: [], scriptHits: [] };
  if (argv.length === 0 || depth > MAX_DEPTH) return verdict;
  const first = argv[0] as string;
  const name = programName(first);
  if (INITS.has(name)) return followEntry(dropInit(argv), line, lookup, false, depth + 1);
  if (PASS_THROUGH.has(name)) return followEntry(argv.slice(1), line, lookup, false, depth + 1);
  if (isNode(first)) return verdict;
  if (isPackageManager(first)) {
    verdict.hits.push({
      line,
      rule: 'dockerfile/package-manager',
      message: `The container runs \`${argv.join(' ')}\`: ${name} does not pass SIGTERM on to node.`,
    });
    return verdict;
  }
  if (isShell(first)) {
    const c = argv.indexOf('-c');
    if (c === -1) {
      const script = argv[1];
      return script === undefined ? verdict : followScript(script, argv.slice(2), line, lookup, depth);
    }
    const text = argv[c + 1] ?? '';
    const commands = simpleCommands(text);
    const only = commands.length === 1 ? withoutAssignments(commands[0] as string[]) : [];
    if (only[0] === 'exec') return followEntry(only.slice(1), line, lookup, false, depth + 1);
    verdict.hits.push({
      line,
      rule: shellForm ? 'dockerfile/shell-form' : 'dockerfile/shell-entry',
      message: shellForm
        ? `Shell form: the container runs \`/bin/sh -c ${JSON.stringify(text)}\` and the shell, not node, is PID 1.`
        : `The container runs \`${argv.slice(0, c + 1).join(' ')} ${JSON.stringify(text)}\`: the shell, not node, is PID 1.`,
    });
    return verdict;
  }
  if (name.endsWith('.sh') || lookup(first) !== undefined) {
    return followScript(first, argv.slice(1), line, lookup, depth);
  }
  return verdict;
}

const TRAP_TERM = /^\s*trap\s+.*\b(TERM|SIGTERM|15)\b/m;
const PASS_ARGS = /^"?\$(\{@\}|@)"?$/;

/** Follows an entry script; `args` are what the container passes it (CMD after an ENTRYPOINT script). */
function followScript(
  path: string,
  args: readonly string[],
  line: number,
  lookup: ScriptLookup,
  depth: number,
): EntryVerdict {
  const verdict: EntryVerdict = { hits: [], scriptHits: [] };
  const script = lookup(path);
  if (script === undefined) return verdict;
  const found = lastServiceCommand(script.text);
  if (found === undefined) return verdict;
  const at = script.firstLine + found.line;
  const [head, ...rest] = found.words;
  if (head === 'exec' && rest.length === 1 && PASS_ARGS.test(rest[0] as string)) {
    // `exec "$@"`: the container's CMD runs in the shell's place.
    const next = followEntry(args, line, lookup, false, depth + 1);
    return { hits: next.hits, scriptHits: next.scriptHits };
  }
  const run = head === 'exec' ? rest : found.words;
  if (isPackageManager(run[0])) {
    verdict.scriptHits.push({
      file: script.file,
      line: at,
      rule: 'script/package-manager',
      message: `\`${found.words.join(' ')}\`: ${programName(run[0])} does not pass SIGTERM on to node.`,
    });
  } else if (head !== 'exec' && !TRAP_TERM.test(script.text)) {
    verdict.scriptHits.push({
      file: script.file,
      line: at,
      rule: 'script/no-exec',
      message: `\`${found.words.join(' ')}\` runs without exec and the script sets no TERM trap: the shell stays PID 1 and node never gets SIGTERM.`,
    });
  }
  return verdict;
}

/** The last command of a script that starts the service (node, a package manager) or execs. */
function lastServiceCommand(text: string): { line: number; words: string[] } | undefined {
  const lines = text.split('\n');
  let found: { line: number; words: string[] } | undefined;
  for (let i = 0; i < lines.length; i += 1) {
    let raw = lines[i] as string;
    const start = i;
    while (raw.endsWith('\\') && i + 1 < lines.length) raw = `${raw.slice(0, -1)} ${lines[++i]}`;
    if (/^\s*#/.test(raw)) continue;
    for (const command of simpleCommands(raw)) {
      const words = withoutAssignments(command);
      const head = words[0];
      if (head === 'exec' || isNode(head) || isPackageManager(head)) found = { line: start, words };
    }
  }
  return found;
}

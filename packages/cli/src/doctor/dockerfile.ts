import { execForm, type Instruction, parseDockerfile } from './dockerfile-parse.js';
import { type EntryVerdict, followEntry, type ScriptLookup, type ScriptSource } from './entry.js';
import type { Hit } from './findings.js';

/** A command instruction (CMD, ENTRYPOINT) as the final image has it. */
interface Command {
  readonly argv: readonly string[];
  readonly shellForm: boolean;
  readonly line: number;
}

interface Stage {
  readonly name: string | undefined;
  cmd: Command | undefined;
  entrypoint: Command | undefined;
  stopSignal: { value: string; line: number } | undefined;
  shell: readonly string[];
  /** `COPY <<EOF <dest>` scripts, by destination. */
  readonly heredocScripts: Map<string, { text: string; firstLine: number }>;
}

const DEFAULT_SHELL = ['/bin/sh', '-c'] as const;
const STOP_SIGNALS_LAMEDUCK_HEARS = new Set(['SIGTERM', 'TERM', '15', 'SIGINT', 'INT', '2']);

function command(instruction: Instruction, shell: readonly string[]): Command {
  const exec = execForm(instruction.args);
  if (exec !== undefined) return { argv: exec, shellForm: false, line: instruction.line };
  return { argv: [...shell, instruction.args], shellForm: true, line: instruction.line };
}

/** The stages of a Dockerfile with what each sets (inheriting from an earlier stage it builds on). */
function stagesOf(instructions: readonly Instruction[]): Stage[] {
  const stages: Stage[] = [];
  let stage: Stage | undefined;
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const words = instruction.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const base = stages.find((s) => s.name !== undefined && s.name === words[0]?.toLowerCase());
      const alias =
        words.length >= 3 && words[1]?.toUpperCase() === 'AS' ? words[2]?.toLowerCase() : undefined;
      stage = {
        name: alias,
        cmd: base?.cmd,
        entrypoint: base?.entrypoint,
        stopSignal: base?.stopSignal,
        shell: base?.shell ?? DEFAULT_SHELL,
        heredocScripts: new Map(base?.heredocScripts),
      };
      stages.push(stage);
      continue;
    }
    if (stage === undefined) continue;
    switch (instruction.keyword) {
      case 'CMD':
        stage.cmd = command(instruction, stage.shell);
        break;
      case 'ENTRYPOINT':
        // Docker: setting ENTRYPOINT resets a CMD inherited from the base image.
        stage.entrypoint = command(instruction, stage.shell);
        stage.cmd = undefined;
        break;
      case 'STOPSIGNAL':
        stage.stopSignal = { value: instruction.args.trim(), line: instruction.line };
        break;
      case 'SHELL':
        stage.shell = execForm(instruction.args) ?? stage.shell;
        break;
      case 'COPY':
      case 'ADD': {
        const dest = instruction.args
          .split(/\s+/)
          .filter((w) => !w.startsWith('--'))
          .pop();
        const doc = instruction.heredocs[0];
        if (doc !== undefined && dest !== undefined) stage.heredocScripts.set(dest, doc);
        break;
      }
    }
  }
  return stages;
}

/** The argv the final image runs: ENTRYPOINT (exec form) followed by CMD, as Docker builds it. */
function entryOf(stage: Stage): { argv: string[]; shellForm: boolean; line: number } | undefined {
  const { entrypoint, cmd } = stage;
  if (entrypoint !== undefined) {
    if (entrypoint.shellForm) return { argv: [...entrypoint.argv], shellForm: true, line: entrypoint.line };
    return {
      argv: [...entrypoint.argv, ...(cmd?.argv ?? [])],
      shellForm: false,
      line: cmd !== undefined && entrypoint.argv.length > 0 && cmd.shellForm ? cmd.line : entrypoint.line,
    };
  }
  if (cmd === undefined) return undefined;
  return { argv: [...cmd.argv], shellForm: cmd.shellForm, line: cmd.line };
}

/**
 * Checks the final stage of a Dockerfile: the container's command (shell form, a shell or a
 * package manager in front of node, entry scripts followed through `lookup`) and STOPSIGNAL.
 */
export function checkDockerfile(
  file: string,
  text: string,
  lookup: ScriptLookup,
): EntryVerdict & { scriptsSeen: string[] } {
  const stages = stagesOf(parseDockerfile(text));
  const final = stages[stages.length - 1];
  const hits: Hit[] = [];
  if (final === undefined) return { hits, scriptHits: [], scriptsSeen: [] };
  const scriptsSeen: string[] = [];
  const withHeredocs: ScriptLookup = (path) => {
    const doc =
      final.heredocScripts.get(path) ??
      [...final.heredocScripts].find(([dest]) => dest.endsWith(`/${path.replace(/^\.\//, '')}`))?.[1];
    const source: ScriptSource | undefined = doc !== undefined ? { file, ...doc } : lookup(path);
    if (source !== undefined) scriptsSeen.push(source.file);
    return source;
  };
  const signal = final.stopSignal;
  if (signal !== undefined && !STOP_SIGNALS_LAMEDUCK_HEARS.has(signal.value.toUpperCase())) {
    hits.push({
      line: signal.line,
      rule: 'dockerfile/stop-signal',
      message: `STOPSIGNAL ${signal.value}: the container is stopped with ${signal.value}, which lameduck does not listen to.`,
    });
  }
  const entry = entryOf(final);
  if (entry === undefined) return { hits, scriptHits: [], scriptsSeen };
  const verdict = followEntry(entry.argv, entry.line, withHeredocs, entry.shellForm);
  return { hits: [...hits, ...verdict.hits], scriptHits: verdict.scriptHits, scriptsSeen };
}

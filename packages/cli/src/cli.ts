import { ErrorCodes, LameduckError } from '@lameduck/core';
import { helpText, parseArgs } from './args.js';
import { runDoctor } from './doctor/command.js';
import { EXAMPLE_DRAIN_DELAY_MS, findRepoRoot, type ResolvedExample, resolveExamples } from './examples.js';
import { resolveSimulation } from './options.js';
import { createProgress, type ProgressSink } from './progress.js';
import { formatReport } from './report.js';
import { simulate } from './simulate.js';
import type { SimulationOptions, SimulationReport } from './types.js';
import { VERSION } from './version.js';

export interface CliIo {
  readonly stdout: ProgressSink;
  readonly stderr: ProgressSink;
  readonly cwd: string;
  /** Where to look for the repo for `--example`, besides the working directory. */
  readonly scriptPath?: string;
  readonly signal?: AbortSignal;
  /** Standard input, for `lameduck doctor -`. */
  readonly readStdin?: () => Promise<string>;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** Runs `lameduck …` and resolves with the exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv[0] === 'doctor') return runDoctor(argv.slice(1), io);
  let request: ReturnType<typeof parseArgs>;
  try {
    request = parseArgs(argv);
  } catch (error) {
    return usage(io, error);
  }
  if (request.kind === 'help') {
    io.stdout.write(`${helpText()}\n`);
    return EXIT_OK;
  }
  if (request.kind === 'version') {
    io.stdout.write(`${VERSION}\n`);
    return EXIT_OK;
  }

  // One run per command: the user's, or each example.
  let runs: { label: string | undefined; name: string; options: SimulationOptions; missing?: string }[];
  try {
    const env = { ...request.options.env };
    if (request.example !== undefined) {
      const root = findRepoRoot([io.cwd, ...(io.scriptPath ? [io.scriptPath] : [])]);
      const examples: ResolvedExample[] = resolveExamples(request.example, root);
      const delay = String(request.drainDelayMs ?? EXAMPLE_DRAIN_DELAY_MS);
      runs = examples.map((example) => ({
        label: request.example === 'all' ? example.name : undefined,
        name: example.name,
        options: {
          ...request.options,
          command: example.command,
          cwd: example.cwd,
          env: { LAMEDUCK_DRAIN_DELAY_MS: delay, ...example.env, ...env },
        },
        ...(example.missing === undefined ? {} : { missing: example.missing }),
      }));
    } else {
      if (request.drainDelayMs !== undefined) env.LAMEDUCK_DRAIN_DELAY_MS = String(request.drainDelayMs);
      runs = [
        {
          label: undefined,
          name: 'command',
          options: { ...request.options, command: request.options.command ?? [], env },
        },
      ];
    }
    for (const run of runs) resolveSimulation(run.options);
  } catch (error) {
    return usage(io, error);
  }

  const reports: { label: string | undefined; report: SimulationReport }[] = [];
  let exitCode = EXIT_OK;
  for (const run of runs) {
    if (run.missing !== undefined) {
      io.stderr.write(`lameduck: cannot run example ${run.name}: ${run.missing}\n`);
      exitCode = EXIT_FAILED;
      continue;
    }
    if (run.label !== undefined && !request.json) io.stdout.write(`\n=== example ${run.label} ===\n`);
    const progress = createProgress(io.stderr, { verbose: request.verbose });
    try {
      const report = await simulate({
        ...run.options,
        ...(request.quiet ? {} : { onProgress: progress.onProgress }),
        onReplicaOutput: progress.onReplicaOutput,
        ...(io.signal ? { signal: io.signal } : {}),
      });
      progress.done();
      reports.push({ label: run.label, report });
      if (!request.json) io.stdout.write(`${formatReport(report)}\n`);
      if (!report.ok) exitCode = EXIT_FAILED;
    } catch (error) {
      progress.done();
      if (io.signal?.aborted) {
        io.stderr.write('lameduck: interrupted; every process it started was killed.\n');
        return EXIT_INTERRUPTED;
      }
      if (error instanceof LameduckError && error.code === ErrorCodes.INVALID_OPTION) return usage(io, error);
      io.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      return EXIT_FAILED;
    }
  }
  if (request.json) {
    const payload =
      request.example === 'all'
        ? reports.map(({ label, report }) => ({ example: label, ...report }))
        : reports[0]?.report;
    io.stdout.write(`${JSON.stringify(payload, null, 2)}\n`);
  }
  if (reports.length === 0) {
    io.stderr.write('lameduck: nothing ran.\n');
    return EXIT_FAILED;
  }
  return exitCode;
}

function usage(io: CliIo, error: unknown): number {
  if (error instanceof LameduckError && error.code === ErrorCodes.INVALID_OPTION) {
    io.stderr.write(`${error.message}\n`);
    return EXIT_USAGE;
  }
  io.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  return EXIT_FAILED;
}

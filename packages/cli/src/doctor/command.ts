import { ErrorCodes, LameduckError } from '@lameduck/core';
import { checkSources, type Source } from './check.js';
import { collectFiles } from './files.js';
import { formatHuman } from './format-human.js';
import { formatSarif } from './format-sarif.js';

export type DoctorFormat = 'human' | 'json' | 'sarif';

export interface DoctorIo {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): unknown };
  readonly cwd: string;
  /** Standard input, read when `-` is given (rendered Helm or Kustomize output). */
  readonly readStdin?: () => Promise<string>;
  /** The CLI's version, for SARIF. */
  readonly version?: string;
}

const FORMATS: readonly DoctorFormat[] = ['human', 'json', 'sarif'];

export function doctorHelp(): string {
  return [
    'Usage: lameduck doctor [options] [paths…]',
    '',
    'Reads Dockerfiles (any name, every stage), the entry scripts they start, package.json',
    'start scripts and Kubernetes YAML (several documents per file; `-` reads rendered Helm or',
    'Kustomize output from standard input) and reports what keeps a graceful shutdown from',
    'happening: SIGTERM that never reaches node, probes, the grace-period budget. Directories',
    'are searched (without node_modules, .git, dist); no path means the current directory.',
    '',
    'Options:',
    '  --format <human|json|sarif>  output (default human; sarif 2.1.0 for code scanning)',
    '  --help                       this help',
    '',
    'Exit code 0: no error-level finding; 1: at least one; 2: bad arguments or a missing path.',
    '',
    'Examples:',
    '  lameduck doctor',
    '  lameduck doctor Dockerfile k8s/',
    '  helm template ./chart | lameduck doctor -',
    '  lameduck doctor --format sarif . > lameduck.sarif',
  ].join('\n');
}

function usageError(message: string): LameduckError {
  return new LameduckError(
    ErrorCodes.INVALID_OPTION,
    `lameduck doctor: ${message}\nRun \`lameduck doctor --help\` for the options.`,
  );
}

/** Parses `lameduck doctor …` (after the word doctor). */
export function parseDoctorArgs(
  argv: readonly string[],
): { help: true } | { help: false; format: DoctorFormat; paths: string[] } {
  let format: DoctorFormat | undefined;
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const token = argv[i] as string;
    if (token === '--help' || token === '-h') return { help: true };
    if (token === '--format' || token.startsWith('--format=')) {
      if (format !== undefined) throw usageError('--format was given twice.');
      const value = token.includes('=') ? token.slice(token.indexOf('=') + 1) : argv[++i];
      if (!FORMATS.includes(value as DoctorFormat)) {
        throw usageError(
          `--format expects human, json or sarif, instead got ${JSON.stringify(value ?? '')}.`,
        );
      }
      format = value as DoctorFormat;
      continue;
    }
    if (token.startsWith('-') && token !== '-') throw usageError(`unknown option ${token}.`);
    paths.push(token);
  }
  return { help: false, format: format ?? 'human', paths: paths.length > 0 ? paths : ['.'] };
}

/** Runs `lameduck doctor`; resolves with the exit code (0 clean, 1 errors found, 2 bad usage). */
export async function runDoctor(argv: readonly string[], io: DoctorIo): Promise<number> {
  let request: ReturnType<typeof parseDoctorArgs>;
  try {
    request = parseDoctorArgs(argv);
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  if (request.help) {
    io.stdout.write(`${doctorHelp()}\n`);
    return 0;
  }
  const sources: Source[] = [];
  const onDisk = request.paths.filter((path) => path !== '-');
  try {
    sources.push(...collectFiles(onDisk, io.cwd).files.map((file) => ({ file })));
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    io.stderr.write(
      `lameduck doctor: ${missing ? `no such file or directory: ${(error as NodeJS.ErrnoException).path}` : (error as Error).message}\n`,
    );
    return 2;
  }
  if (request.paths.includes('-')) {
    const text = io.readStdin === undefined ? '' : await io.readStdin();
    sources.push({ file: { display: '<stdin>', path: undefined, kind: 'yaml' }, text });
  }
  const { findings, filesChecked } = checkSources(sources, io.cwd);
  if (request.format === 'json') {
    io.stdout.write(`${JSON.stringify({ filesChecked, findings }, null, 2)}\n`);
  } else if (request.format === 'sarif') {
    io.stdout.write(`${JSON.stringify(formatSarif(findings, io.version ?? '0.0.0'), null, 2)}\n`);
  } else {
    io.stdout.write(`${formatHuman(findings, filesChecked, io.stdout.isTTY === true)}\n`);
  }
  return findings.some((finding) => finding.level === 'error') ? 1 : 0;
}

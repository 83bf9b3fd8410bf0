import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { RULES } from '../../src/doctor/rules.js';

// ajv-draft-04 is CommonJS: its module.exports is the Ajv class for draft-04 schemas.
const Ajv = createRequire(import.meta.url)('ajv-draft-04') as typeof import('ajv-draft-04').default;
const CORPUS = fileURLToPath(new URL('./corpus/', import.meta.url));
const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

/** Every finding the corpus must produce, and no other: [file under corpus/, line, rule]. */
const EXPECTED: ReadonlyArray<[string, number, string]> = [
  ['docker/continuation-bad/Dockerfile', 7, 'dockerfile/shell-form'],
  ['docker/dumb-init-sh/Dockerfile', 4, 'dockerfile/shell-entry'],
  ['docker/entry-sh-c/Containerfile', 3, 'dockerfile/shell-entry'],
  ['docker/escape-bad/Dockerfile', 6, 'dockerfile/shell-form'],
  ['docker/heredoc-bad/Dockerfile', 7, 'script/no-exec'],
  ['docker/multi-stage-bad/Dockerfile', 11, 'dockerfile/shell-form'],
  ['docker/npm-start/Dockerfile', 4, 'dockerfile/package-manager'],
  ['docker/pnpm-start/Dockerfile.prod', 4, 'dockerfile/package-manager'],
  ['docker/script-no-exec/start.sh', 5, 'script/no-exec'],
  ['docker/script-npm/entrypoint.sh', 4, 'script/package-manager'],
  ['docker/sh-c/Dockerfile', 3, 'dockerfile/shell-entry'],
  ['docker/shell-form/Dockerfile', 4, 'dockerfile/shell-form'],
  ['docker/stop-signal/Dockerfile', 3, 'dockerfile/stop-signal'],
  ['docker/tini-npm/Dockerfile', 4, 'dockerfile/package-manager'],
  ['docker/yarn-run/app.dockerfile', 3, 'dockerfile/package-manager'],
  ['k8s/binary.yaml', 1, 'doctor/unreadable'],
  ['k8s/budget.yaml', 13, 'k8s/budget'],
  ['k8s/distroless.yaml', 22, 'k8s/exec-sleep-distroless'],
  ['k8s/helm-rendered.yaml', 12, 'k8s/publish-not-ready'],
  ['k8s/helm-template.yaml', 10, 'doctor/unreadable'],
  ['k8s/mismatch.yaml', 19, 'k8s/grace-mismatch'],
  ['k8s/mismatch.yaml', 21, 'k8s/prestop-mismatch'],
  ['k8s/no-drain-delay.yaml', 18, 'k8s/no-drain-delay'],
  ['k8s/no-readiness.yaml', 13, 'k8s/no-readiness-probe'],
  ['k8s/prestop-http.yaml', 23, 'k8s/prestop-http-no-auth'],
  ['k8s/prestop-too-long.yaml', 25, 'k8s/prestop-too-long'],
  ['k8s/same-path.yaml', 22, 'k8s/same-probe-path'],
  ['k8s/syntax-error.yaml', 5, 'doctor/unreadable'],
  ['k8s/unknown-env.yaml', 18, 'k8s/unknown-env'],
  ['k8s/unknown-env.yaml', 20, 'k8s/unknown-env'],
  ['k8s/unset-grace.yaml', 7, 'k8s/grace-mismatch'],
  ['k8s/unset-grace.yaml', 18, 'k8s/prestop-mismatch'],
  ['k8s/value-from.yaml', 20, 'k8s/budget-unknown'],
  ['pkg/chain/package.json', 6, 'package-json/start-shell'],
  ['pkg/semicolon/package.json', 4, 'package-json/start-shell'],
  ['pkg/sh-c/package.json', 4, 'package-json/start-shell'],
];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function doctor(
  args: string[],
  options: { cwd?: string; stdin?: string; tty?: boolean } = {},
): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['doctor', ...args], {
    stdout: { write: (text: string) => (stdout += text), isTTY: options.tty ?? false },
    stderr: { write: (text: string) => (stderr += text) },
    cwd: options.cwd ?? CORPUS,
    readStdin: async () => options.stdin ?? '',
  });
  return { code, stdout, stderr };
}

interface JsonFinding {
  file: string;
  line: number;
  rule: string;
  level: string;
  message: string;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((path) => statSync(join(dir, path)).isFile());
}

const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

describe('lameduck doctor over the fixture corpus', () => {
  it('has at least 40 files, bad and good', () => {
    const files = filesUnder(CORPUS);
    expect(files.length).toBeGreaterThanOrEqual(40);
    expect(files.filter((f) => f.includes('good')).length).toBeGreaterThanOrEqual(15);
  });

  it('finds exactly the expected mistakes: every bad file, nothing in the good ones', async () => {
    const run = await doctor(['--format', 'json', '.']);
    const report = JSON.parse(run.stdout) as { findings: JsonFinding[]; filesChecked: number };
    expect(report.findings.map((f) => [f.file, f.line, f.rule])).toEqual(EXPECTED);
    expect(run.code).toBe(1);
    for (const file of filesUnder(CORPUS).filter((f) => f.includes('good'))) {
      expect(
        report.findings.filter((f) => f.file === file),
        file,
      ).toEqual([]);
    }
    // Every rule that can fire on a file is exercised by the corpus.
    const fired = new Set(report.findings.map((f) => f.rule));
    for (const rule of RULES) expect(fired, rule.id).toContain(rule.id);
  });

  it("each finding says what was found; the level is the rule's", async () => {
    const report = JSON.parse((await doctor(['--format', 'json', 'k8s/budget.yaml'])).stdout) as {
      findings: JsonFinding[];
    };
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]?.message).toContain('32000 ms');
    expect(report.findings[0]?.level).toBe('error');
  });

  it('SARIF output validates against the SARIF 2.1.0 schema (vendored) with ajv', async () => {
    const schema = JSON.parse(readFileSync(new URL('./sarif-schema-2.1.0.json', import.meta.url), 'utf8'));
    // The schema's language-tag pattern is not valid in unicode mode (draft-04 predates it).
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    const validate = ajv.compile(schema);
    const run = await doctor(['--format', 'sarif', '.']);
    const sarif = JSON.parse(run.stdout) as { runs: Array<{ results: unknown[] }> };
    expect(validate(sarif), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(sarif.runs[0]?.results).toHaveLength(EXPECTED.length);
    // The validator really checks: a result without a message is refused.
    const broken = structuredClone(sarif) as { runs: Array<{ results: Array<Record<string, unknown>> }> };
    delete broken.runs[0]?.results[0]?.message;
    expect(validate(broken)).toBe(false);
  });

  it('human output groups findings by file, with why and fix; colour only on a TTY', async () => {
    const plain = await doctor(['docker/npm-start', 'docker/shell-form']);
    expect(plain.stdout).toContain(
      'docker/npm-start/Dockerfile\n     4  error    The container runs `npm start`',
    );
    expect(plain.stdout).toContain('fix: Make node PID 1');
    expect(plain.stdout).not.toContain('\u001b[');
    expect(plain.stdout.trim().split('\n').pop()).toBe(
      'lameduck doctor: 2 files checked, 2 errors, 0 warnings, 0 notes.',
    );
    const tty = await doctor(['docker/npm-start'], { tty: true });
    expect(tty.stdout).toContain('\u001b[31merror');
  });
});

describe('lameduck doctor, exit codes and odd input', () => {
  it('0 when clean, 1 with an error-level finding, 0 with only warnings', async () => {
    expect((await doctor(['docker/good-node', 'k8s/good-deployment.yaml'])).code).toBe(0);
    expect((await doctor(['docker/npm-start'])).code).toBe(1);
    const warningsOnly = await doctor(['pkg/chain/package.json', 'k8s/syntax-error.yaml']);
    expect([warningsOnly.code, warningsOnly.stdout]).toEqual([0, expect.stringContaining('2 warnings')]);
  });

  it('2 on bad usage: unknown option, bad --format, a path that does not exist', async () => {
    for (const args of [['--frmat', 'json'], ['--format', 'xml'], ['--format'], ['no/such/dir']]) {
      const run = await doctor(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/lameduck doctor: /);
    }
  });

  it('reads rendered Helm or Kustomize output from standard input with -', async () => {
    const rendered = readFileSync(join(CORPUS, 'k8s/helm-rendered.yaml'), 'utf8');
    const run = await doctor(['--format', 'json', '-'], { stdin: rendered });
    const findings = (JSON.parse(run.stdout) as { findings: JsonFinding[] }).findings;
    expect(findings.map((f) => [f.file, f.line, f.rule])).toEqual([['<stdin>', 12, 'k8s/publish-not-ready']]);
    expect(run.code).toBe(1);
  });

  it('a directory of thousands of files: every file seen, bounded in time, no crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lameduck-doctor-'));
    temporary.push(dir);
    for (let i = 0; i < 40; i += 1) {
      const sub = join(dir, `svc-${i}`);
      mkdirSync(sub);
      for (let j = 0; j < 60; j += 1) writeFileSync(join(sub, `notes-${j}.txt`), 'x');
      writeFileSync(
        join(sub, `deploy-${i}.yaml`),
        i % 2 === 0 ? 'a: [1\n' : 'kind: ConfigMap\napiVersion: v1\n',
      );
    }
    writeFileSync(join(dir, 'svc-0', 'Dockerfile'), 'FROM node:20\nCMD npm start\n');
    const startedAt = Date.now();
    const run = await doctor(['--format', 'json', '.'], { cwd: dir });
    expect(Date.now() - startedAt).toBeLessThan(20_000);
    const report = JSON.parse(run.stdout) as { findings: JsonFinding[]; filesChecked: number };
    expect(report.filesChecked).toBe(41);
    expect(report.findings.filter((f) => f.rule === 'doctor/unreadable')).toHaveLength(20);
    expect(report.findings.filter((f) => f.rule === 'dockerfile/shell-form')).toHaveLength(1);
    expect(relative(dir, join(dir, report.findings[0]?.file ?? ''))).not.toMatch(/^\.\./);
  });
});

describe('lameduck doctor on this repository', () => {
  it('every example (Dockerfile, package.json, manifests) passes clean', async () => {
    const run = await doctor(['--format', 'json', 'examples'], { cwd: REPO });
    const report = JSON.parse(run.stdout) as { findings: JsonFinding[]; filesChecked: number };
    expect(report.findings).toEqual([]);
    expect(report.filesChecked).toBeGreaterThanOrEqual(15);
    expect(run.code).toBe(0);
  });
});

describe('lameduck doctor in the CLI README', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

  it('documents every rule with its level, a bad and a good example', () => {
    const sections = readme.split(/^#### /m).slice(1);
    const documented = new Map(sections.map((s) => [/^`([^`]+)`/.exec(s)?.[1] ?? '', s]));
    expect([...documented.keys()]).toEqual(RULES.map((rule) => rule.id));
    for (const rule of RULES) {
      const section = documented.get(rule.id) ?? '';
      expect(section, rule.id).toContain(`Level: ${rule.level}.`);
      expect(section, rule.id).toMatch(
        /Bad:\n\n```[a-z]+\n[\s\S]+?\n```\n\nGood:\n\n```[a-z]+\n[\s\S]+?\n```/,
      );
    }
  });

  it('the pasted report is what doctor prints for those files today', async () => {
    const match = /A real report \(`lameduck doctor ([^`]+)`[\s\S]*?```\n([\s\S]*?)\n```/.exec(readme);
    expect(match).not.toBeNull();
    const run = await doctor((match?.[1] ?? '').split(' '));
    expect(run.stdout.trimEnd()).toBe(match?.[2]);
    expect(run.code).toBe(1);
  });
});

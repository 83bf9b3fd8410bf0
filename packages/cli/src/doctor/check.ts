import { existsSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { checkDockerfile } from './dockerfile.js';
import type { ScriptLookup, ScriptSource } from './entry.js';
import { type InputFile, readText } from './files.js';
import type { Finding, Hit } from './findings.js';
import { checkProbes } from './k8s-probes.js';
import { checkServices } from './k8s-services.js';
import { checkShutdown } from './k8s-shutdown.js';
import { type PodTemplate, parseManifests, type ServiceDoc } from './kubernetes.js';
import { checkPackageJson } from './package-json.js';
import { ruleOf } from './rules.js';

/** One input with its text already read (standard input, or a file). */
export interface Source {
  readonly file: InputFile;
  readonly text?: string;
}

export interface CheckResult {
  readonly findings: Finding[];
  readonly filesChecked: number;
}

function toFinding(file: string, hit: Hit): Finding {
  return { file, line: hit.line, rule: hit.rule, level: ruleOf(hit.rule).level, message: hit.message };
}

/** Finds the script an entry names: beside the Dockerfile (or above it), by path or by name. */
function scriptLookup(dockerfile: string, cwd: string, given: readonly string[]): ScriptLookup {
  return (path) => {
    const trimmed = path.replace(/^\.\//, '').replace(/^\/+/, '');
    const segments = trimmed.split('/');
    const candidates: string[] = [];
    for (let dir = dirname(dockerfile), up = 0; up < 4; dir = dirname(dir), up += 1) {
      for (let drop = 0; drop < segments.length; drop += 1)
        candidates.push(join(dir, ...segments.slice(drop)));
      if (dir === dirname(dir)) break;
    }
    candidates.push(...given.filter((g) => basename(g) === basename(trimmed)));
    const found = candidates.find((candidate) => existsSync(candidate));
    if (found === undefined) return undefined;
    const read = readText(found);
    if (!('text' in read)) return undefined;
    const source: ScriptSource = { file: relative(cwd, found) || found, text: read.text, firstLine: 1 };
    return source;
  };
}

/**
 * Runs every rule over the inputs. Never throws for a file's content: what cannot be read or
 * parsed becomes a doctor/unreadable finding for that file, and the run goes on.
 */
export function checkSources(sources: readonly Source[], cwd: string): CheckResult {
  const findings: Finding[] = [];
  const pods: PodTemplate[] = [];
  const services: ServiceDoc[] = [];
  const seen = new Set<string>();
  const givenScripts = sources
    .filter((s) => s.file.kind === 'script' && s.file.path)
    .map((s) => s.file.path as string);
  const add = (file: string, hit: Hit) => {
    const key = `${file}:${hit.line}:${hit.rule}:${hit.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    findings.push(toFinding(file, hit));
  };
  for (const source of sources) {
    const { file } = source;
    let text = source.text;
    if (text === undefined && file.path !== undefined) {
      const read = readText(file.path);
      if ('problem' in read) {
        add(file.display, { line: 1, rule: 'doctor/unreadable', message: read.problem });
        continue;
      }
      text = read.text;
    }
    if (text === undefined) continue;
    try {
      switch (file.kind) {
        case 'dockerfile': {
          const lookup = scriptLookup(file.path ?? join(cwd, 'Dockerfile'), cwd, givenScripts);
          const verdict = checkDockerfile(file.display, text, lookup);
          for (const hit of verdict.hits) add(file.display, hit);
          for (const hit of verdict.scriptHits) add(hit.file, hit);
          break;
        }
        case 'script': {
          // A script named on the command line is checked as the container's entry.
          const lookup: ScriptLookup = (path) =>
            path === file.display ? { file: file.display, text: text as string, firstLine: 1 } : undefined;
          const verdict = checkDockerfile(file.display, `CMD ["${file.display}"]`, lookup);
          for (const hit of verdict.scriptHits) add(hit.file, hit);
          break;
        }
        case 'package-json':
          for (const hit of checkPackageJson(text)) add(file.display, hit);
          break;
        case 'yaml': {
          const parsed = parseManifests(file.display, text);
          for (const hit of parsed.problems) add(file.display, hit);
          for (const pod of parsed.pods) {
            for (const hit of [...checkProbes(pod), ...checkShutdown(pod)]) add(file.display, hit);
          }
          pods.push(...parsed.pods);
          services.push(...parsed.services);
          break;
        }
      }
    } catch (error) {
      add(file.display, {
        line: 1,
        rule: 'doctor/unreadable',
        message: `doctor could not check this file: ${(error as Error).message}`,
      });
    }
  }
  findings.push(...checkServices(services, pods));
  findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.rule.localeCompare(b.rule));
  return { findings, filesChecked: sources.length };
}

import { type Dirent, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';

/** What doctor reads a file as. */
export type FileKind = 'dockerfile' | 'script' | 'package-json' | 'yaml';

export interface InputFile {
  /** As shown in findings: relative to the working directory, or `<stdin>`. */
  readonly display: string;
  /** Absolute path; undefined for standard input. */
  readonly path: string | undefined;
  readonly kind: FileKind;
}

const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', '.pnpm-store', 'coverage']);
const SKIP_YAML = /^(pnpm-lock|package-lock|yarn|\.?github|biome|\.?gitlab-ci|docker-compose|compose)\b/i;
/** Bounds a directory walk: a tree of thousands of files is read, never followed for ever. */
export const MAX_FILES_WALKED = 200_000;
export const MAX_FILE_BYTES = 5 * 1024 * 1024;

/** `Dockerfile`, `Dockerfile.prod`, `prod.Dockerfile`, `Containerfile`, `x.dockerfile`. */
export function kindOf(name: string): FileKind | undefined {
  if (/^(Dockerfile|Containerfile)([.-].*)?$/i.test(name) || /\.(dockerfile|containerfile)$/i.test(name)) {
    return name.endsWith('.dockerignore') ? undefined : 'dockerfile';
  }
  if (name === 'package.json') return 'package-json';
  if (/\.ya?ml$/i.test(name)) return SKIP_YAML.test(name) ? undefined : 'yaml';
  if (/\.(sh|bash)$/i.test(name)) return 'script';
  return undefined;
}

/**
 * Expands the paths given on the command line: a file is read whatever its name (a YAML file
 * when the name says nothing else), a directory is walked for the files doctor knows, without
 * node_modules, .git and dist. Entry scripts found in a walk are read only when a Dockerfile
 * names them. Throws ENOENT for a path that does not exist.
 */
export function collectFiles(paths: readonly string[], cwd: string): { files: InputFile[]; walked: number } {
  const files: InputFile[] = [];
  let walked = 0;
  const add = (path: string, kind: FileKind) =>
    files.push({ display: relative(cwd, path) || basename(path), path, kind });
  for (const given of paths) {
    const path = join(cwd, given).startsWith('/') && !given.startsWith('/') ? join(cwd, given) : given;
    const stat = statSync(path);
    if (!stat.isDirectory()) {
      add(path, kindOf(basename(path)) ?? 'yaml');
      continue;
    }
    const stack = [path];
    while (stack.length > 0 && walked < MAX_FILES_WALKED) {
      const dir = stack.pop() as string;
      let entries: Dirent[];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      entries.sort((a, b) => a.name.localeCompare(b.name));
      for (const entry of entries) {
        walked += 1;
        const full = join(dir, entry.name);
        if (entry.isDirectory()) {
          if (!SKIP_DIRS.has(entry.name)) stack.push(full);
          continue;
        }
        const kind = entry.isFile() ? kindOf(entry.name) : undefined;
        if (kind !== undefined && kind !== 'script') add(full, kind);
      }
    }
  }
  return { files, walked };
}

/** The text of a file, or why it cannot be checked (too large, binary, unreadable). */
export function readText(path: string): { text: string } | { problem: string } {
  try {
    const stat = statSync(path);
    if (stat.size > MAX_FILE_BYTES)
      return { problem: `larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB, not read` };
    const buffer = readFileSync(path);
    if (buffer.subarray(0, 8192).includes(0)) return { problem: 'a binary file, not text' };
    return { text: buffer.toString('utf8') };
  } catch (error) {
    return { problem: `cannot read it: ${(error as Error).message}` };
  }
}

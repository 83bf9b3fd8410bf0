/** One Dockerfile instruction with its arguments joined across line continuations. */
export interface Instruction {
  /** Upper case: FROM, CMD, ENTRYPOINT, STOPSIGNAL, COPY, SHELL, … */
  readonly keyword: string;
  readonly args: string;
  /** 1-based line where the instruction starts. */
  readonly line: number;
  /** Here-documents of the instruction (`RUN <<EOF`, `COPY <<EOF /start.sh`), in order. */
  readonly heredocs: readonly { readonly text: string; readonly firstLine: number }[];
}

const HEREDOC = /<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g;

/**
 * Parses a Dockerfile into instructions: comments and blank lines skipped, the escape
 * character honoured (`# escape=` parser directive), line continuations joined (comment lines
 * inside them dropped, as BuildKit does), here-documents collected. Never throws.
 */
export function parseDockerfile(text: string): Instruction[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let escapeChar = '\\';
  const directive = /^#\s*escape\s*=\s*([\\`])\s*$/i.exec(lines[0] ?? '');
  if (directive) escapeChar = directive[1] as string;
  const instructions: Instruction[] = [];
  let i = 0;
  while (i < lines.length) {
    const first = lines[i] as string;
    if (/^\s*(#|$)/.test(first)) {
      i += 1;
      continue;
    }
    const line = i + 1;
    let joined = first;
    while (joined.trimEnd().endsWith(escapeChar) && i + 1 < lines.length) {
      joined = joined.trimEnd().slice(0, -1);
      i += 1;
      while (i < lines.length && /^\s*#/.test(lines[i] as string)) i += 1;
      joined += ` ${(lines[i] ?? '').trim()}`;
    }
    i += 1;
    const match = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(joined);
    if (!match) continue;
    const heredocs: { text: string; firstLine: number }[] = [];
    for (const doc of joined.matchAll(HEREDOC)) {
      const strip = doc[1] === '-';
      const word = doc[3] as string;
      const body: string[] = [];
      const firstLine = i + 1;
      while (i < lines.length) {
        const candidate = lines[i] as string;
        i += 1;
        if ((strip ? candidate.replace(/^\t+/, '') : candidate) === word) break;
        body.push(strip ? candidate.replace(/^\t+/, '') : candidate);
      }
      heredocs.push({ text: body.join('\n'), firstLine });
    }
    instructions.push({
      keyword: (match[1] as string).toUpperCase(),
      args: (match[2] ?? '').trim(),
      line,
      heredocs,
    });
  }
  return instructions;
}

/** The exec form's argv, or undefined for the shell form (not a JSON array of strings). */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  try {
    const value: unknown = JSON.parse(args);
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
  } catch {
    // Docker runs an invalid JSON array in the shell form.
  }
  return undefined;
}

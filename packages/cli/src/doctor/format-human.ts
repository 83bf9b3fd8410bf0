import type { Finding, Level } from './findings.js';
import { ruleOf } from './rules.js';

const COLOURS: Readonly<Record<Level | 'dim' | 'bold', string>> = {
  error: '\u001b[31m',
  warning: '\u001b[33m',
  note: '\u001b[36m',
  dim: '\u001b[2m',
  bold: '\u001b[1m',
};
const RESET = '\u001b[0m';

/** The human report: findings grouped by file, each with why and the fix; coloured on a TTY. */
export function formatHuman(findings: readonly Finding[], filesChecked: number, colour: boolean): string {
  const paint = (style: keyof typeof COLOURS, text: string) =>
    colour ? `${COLOURS[style]}${text}${RESET}` : text;
  const lines: string[] = [];
  let file: string | undefined;
  for (const finding of findings) {
    if (finding.file !== file) {
      file = finding.file;
      if (lines.length > 0) lines.push('');
      lines.push(paint('bold', file));
    }
    const rule = ruleOf(finding.rule);
    lines.push(
      `  ${String(finding.line).padStart(4)}  ${paint(finding.level, finding.level.padEnd(7))}  ${finding.message}  ${paint('dim', finding.rule)}`,
    );
    lines.push(`        ${paint('dim', `why: ${rule.why}`)}`);
    lines.push(`        fix: ${rule.fix}`);
  }
  const count = (level: Level) => findings.filter((f) => f.level === level).length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (lines.length > 0) lines.push('');
  lines.push(
    `lameduck doctor: ${plural(filesChecked, 'file')} checked, ${plural(count('error'), 'error')}, ${plural(count('warning'), 'warning')}, ${plural(count('note'), 'note')}.`,
  );
  return lines.join('\n');
}

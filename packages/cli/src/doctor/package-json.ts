import type { Hit } from './findings.js';
import { isNode, isShell, simpleCommands, withoutAssignments } from './shell-words.js';

/** The line of `"start":` in the file's text (1 when not found). */
function lineOf(text: string, key: string): number {
  const index = text.search(new RegExp(`"${key}"\\s*:`));
  return index === -1 ? 1 : text.slice(0, index).split('\n').length;
}

/** package.json: a `start` script that runs node behind a shell (`sh -c`, `&&` chains). */
export function checkPackageJson(text: string): Hit[] {
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (error) {
    return [{ line: 1, rule: 'doctor/unreadable', message: `not valid JSON: ${(error as Error).message}` }];
  }
  const start = (manifest as { scripts?: { start?: unknown } } | null)?.scripts?.start;
  if (typeof start !== 'string') return [];
  const commands = simpleCommands(start).map(withoutAssignments);
  const runsNode = (words: readonly string[]) =>
    isNode(words[0]) || (words[0] === 'exec' && isNode(words[1]));
  const wrapped =
    (commands.length > 1 && commands.some(runsNode)) ||
    commands.some((words) => isShell(words[0]) && words.includes('-c') && /\bnode\b/.test(words.join(' ')));
  if (!wrapped) return [];
  return [
    {
      line: lineOf(text, 'start'),
      rule: 'package-json/start-shell',
      message: `"start": ${JSON.stringify(start)} runs node behind a shell.`,
    },
  ];
}

import { ErrorCodes, LameduckError } from '@lameduck/core';

const SHELL_OPERATORS = new Set(['|', '||', '&&', '&', ';', '>', '>>', '<', '2>', '2>&1']);

/**
 * Splits one command string into argv the way a user means it (spaces separate, single and
 * double quotes group, backslash escapes), without running a shell. Shell operators are
 * refused: the replica is spawned directly so that SIGTERM reaches it.
 */
export function splitCommandLine(text: string): string[] {
  const argv: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i] as string;
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
      else if (char === '\\' && quote === '"' && i + 1 < text.length) current += text[++i];
      else current += char;
      continue;
    }
    if (char === '"' || char === "'") {
      quote = char;
      inWord = true;
    } else if (char === '\\' && i + 1 < text.length) {
      current += text[++i];
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) argv.push(current);
      current = '';
      inWord = false;
    } else {
      current += char;
      inWord = true;
    }
  }
  if (quote !== undefined) {
    throw new LameduckError(
      ErrorCodes.INVALID_OPTION,
      `lameduck simulate: the command ${JSON.stringify(text)} has an unclosed ${quote} quote.`,
    );
  }
  if (inWord) argv.push(current);
  const operator = argv.find((word) => SHELL_OPERATORS.has(word));
  if (operator !== undefined) {
    throw new LameduckError(
      ErrorCodes.INVALID_OPTION,
      `lameduck simulate: the command contains the shell operator ${JSON.stringify(operator)}, but replicas are spawned without a shell (so that SIGTERM reaches your process, as in an exec-form CMD). Give the plain command, such as \`-- node server.js\`.`,
    );
  }
  return argv;
}

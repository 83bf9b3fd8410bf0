import { ErrorCodes, LameduckError } from '@lameduck/core';

const SHELL_OPERATORS = new Set(['|', '||', '&&', '&', ';', '>', '>>', '<', '2>', '2>&1']);

/**
 * Splits one command string into argv the way a user means it (spaces separate, single and
 * double quotes group, backslash escapes), without running a shell. Shell operators are
 * refused: the replica is spawned directly so that SIGTERM reaches it.
 */
export function splitCommandLine(text: string): string[] {
  const { commands, openQuote: quote } = scanCommandLine(text);
  if (commands.length > 1) {
    throw new LameduckError(
      ErrorCodes.INVALID_OPTION,
      `lameduck simulate: the command contains a shell operator (&&, ||, ;, | or &), but replicas are spawned without a shell (so that SIGTERM reaches your process, as in an exec-form CMD). Give the plain command, such as \`-- node server.js\`.`,
    );
  }
  const argv = commands[0] ?? [];
  if (quote !== undefined) {
    throw new LameduckError(
      ErrorCodes.INVALID_OPTION,
      `lameduck simulate: the command ${JSON.stringify(text)} has an unclosed ${quote} quote.`,
    );
  }
  const operator = argv.find((word) => SHELL_OPERATORS.has(word));
  if (operator !== undefined) {
    throw new LameduckError(
      ErrorCodes.INVALID_OPTION,
      `lameduck simulate: the command contains the shell operator ${JSON.stringify(operator)}, but replicas are spawned without a shell (so that SIGTERM reaches your process, as in an exec-form CMD). Give the plain command, such as \`-- node server.js\`.`,
    );
  }
  return argv;
}

/**
 * Scans a command line the way a user means it: spaces separate, single and double quotes
 * group, backslash escapes, and `&&`, `||`, `;`, `|`, `&` or a newline end a simple command.
 * Tolerant: an unclosed quote ends at the end of the text (and is reported as `openQuote`).
 */
export function scanCommandLine(text: string): { commands: string[][]; openQuote: string | undefined } {
  const commands: string[][] = [];
  let words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: string | undefined;
  const endWord = () => {
    if (inWord) words.push(current);
    current = '';
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
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
    } else if (char === '&' || char === '|' || char === ';' || char === '\n') {
      if (text[i + 1] === char) i += 1;
      endCommand();
    } else if (/\s/.test(char)) {
      endWord();
    } else {
      current += char;
      inWord = true;
    }
  }
  endCommand();
  return { commands, openQuote: quote };
}

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// Markdown a reader meets on npm and GitHub: a list must not start in the middle of a sentence.
// A prose line wrapped before "1." or "- " turns the rest of the sentence into a list item
// ("…exits with" / "1. Close such connections…").
const ROOT = resolve(import.meta.dirname, '../..');
const MARKDOWN = execFileSync('git', ['ls-files', '*.md'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((file) => file !== '' && !file.startsWith('.changeset/') && !file.endsWith('.api.md'));

const LIST_ITEM = /^\s*(?:\d+[.)]|[-*+])\s+\S/;
/** A paragraph line that a sentence may end on: punctuation, or a closing bracket, quote or code span. */
const SENTENCE_END = /[.:!?;)\]"'`*_]$/;

/** Lists whose first item follows a prose line that stops mid-sentence: `file:line`. */
function listsStartingMidSentence(markdown: string): number[] {
  const lines = markdown.split('\n');
  const found: number[] = [];
  let fenced = false;
  let previous = ''; // the last non-blank line outside code fences
  for (const [index, line] of lines.entries()) {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      previous = '';
      continue;
    }
    if (fenced || line.trim() === '') continue;
    const prose = previous !== '' && !LIST_ITEM.test(previous) && !/^\s*(#|\||>|<)/.test(previous);
    if (LIST_ITEM.test(line) && !/^\s/.test(line) && prose && !SENTENCE_END.test(previous.trimEnd())) {
      found.push(index + 1);
    }
    previous = line;
  }
  return found;
}

describe('README formatting', () => {
  it('finds the Markdown files', () => {
    expect(MARKDOWN).toContain('packages/core/README.md');
  });

  it('flags a list that starts mid-sentence', () => {
    expect(listsStartingMidSentence('then destroys it and exits with\n\n1. Close them yourself.\n')).toEqual([
      3,
    ]);
    expect(listsStartingMidSentence('Three steps:\n\n1. one\n2. two\n')).toEqual([]);
    expect(listsStartingMidSentence('```sh\nnpm test\n- not a list\n```\n')).toEqual([]);
  });

  it.each(MARKDOWN)('%s: no list starts mid-sentence', (file) => {
    const lines = listsStartingMidSentence(readFileSync(join(ROOT, file), 'utf8'));
    expect(lines.map((line) => `${file}:${line}`)).toEqual([]);
  });

  it('README.md says how long the test command takes', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const after = readme.slice(readme.indexOf('npx pnpm@12.4.2 install && npx pnpm@12.4.2 test'));
    expect(after.split('\n## ')[0]).toMatch(/takes about \d+ minutes on \d+ cores/);
  });
});

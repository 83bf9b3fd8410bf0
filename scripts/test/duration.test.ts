import { expect, it } from 'vitest';
import { formatDuration } from '../duration.mjs';

// The Node version matrix's per-version time: whole minutes and the rest rounded to the second.
it.each([
  [0, '0 min 0 s'],
  [499, '0 min 0 s'],
  [500, '0 min 1 s'],
  [59_499, '0 min 59 s'],
  [59_500, '1 min 0 s'],
  [60_000, '1 min 0 s'],
  [299_600, '5 min 0 s'],
  [725_000, '12 min 5 s'],
  [-3, '0 min 0 s'],
])('%d ms → %s', (ms, text) => {
  expect(formatDuration(ms)).toBe(text);
});

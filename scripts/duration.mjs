// How scripts/node-matrix.mjs prints a run's time: `12 min 5 s`. Rounded to the second first, so
// that 59.6 s of a minute rolls over to the next minute (`5 min 0 s`, never `4 min 60 s`).

/** @param {number} ms @returns {string} */
export function formatDuration(ms) {
  const seconds = Math.round(Math.max(0, ms) / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

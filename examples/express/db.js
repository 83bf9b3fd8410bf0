/**
 * Stands for a database pool: `end()` takes a moment, like closing real connections. The
 * example registers it as a lameduck cleanup hook, which runs after HTTP has drained.
 */
export function createPool({ endMs = 100 } = {}) {
  let open = true;
  return {
    get open() {
      return open;
    },
    async end() {
      await new Promise((resolve) => setTimeout(resolve, endMs));
      open = false;
    },
  };
}

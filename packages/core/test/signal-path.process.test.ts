import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { unshareProbe } from './support/child.js';
import { available, type Entry, measure, type Outcome } from './support/pid-namespace.js';

// Each entry really runs as PID 1 of a fresh PID namespace, SIGTERM goes to PID 1 from outside
// (as the container runtime sends it), and the test records whether node drained and exited by
// itself. lameduck's start-up warning must appear exactly where it did not, and the core
// README's table must say what was measured.

const PNPM = ['npx', '--yes', '--offline', 'pnpm@12.4.2'];
const YARN = ['npx', '--yes', '--offline', 'yarn@1.22.22'];

const ENTRIES: readonly Entry[] = [
  { entry: 'node server.mjs', argv: ['node', 'server.mjs'], needs: [] },
  { entry: 'npm start', argv: ['npm', 'start'], needs: ['npm'] },
  { entry: 'npx pnpm start', argv: [...PNPM, 'start'], needs: ['pnpm'] },
  { entry: 'npx yarn@1 start', argv: [...YARN, 'start'], needs: ['yarn'] },
  { entry: "sh -c 'node server.mjs'", argv: ['sh', '-c', 'node server.mjs'], needs: [] },
  { entry: "sh -c 'exec node server.mjs'", argv: ['sh', '-c', 'exec node server.mjs'], needs: [] },
  { entry: './start.sh (node without exec)', argv: ['./start.sh'], needs: [] },
  { entry: './start-exec.sh (exec node)', argv: ['./start-exec.sh'], needs: [] },
  { entry: './start-trap.sh (trap forwards SIGTERM)', argv: ['./start-trap.sh'], needs: [] },
  { entry: 'tini -- node server.mjs', argv: ['tini', '--', 'node', 'server.mjs'], needs: ['tini'] },
  { entry: 'tini -- npm start', argv: ['tini', '--', 'npm', 'start'], needs: ['tini', 'npm'] },
  { entry: 'dumb-init node server.mjs', argv: ['dumb-init', 'node', 'server.mjs'], needs: ['dumb-init'] },
  { entry: 'dumb-init npm start', argv: ['dumb-init', 'npm', 'start'], needs: ['dumb-init', 'npm'] },
  {
    entry: "dumb-init sh -c 'node server.mjs'",
    argv: ['dumb-init', 'sh', '-c', 'node server.mjs'],
    needs: ['dumb-init'],
  },
];

const TOOLS: Record<string, readonly string[]> = {
  unshare: ['unshare', '-Urpf', '--mount-proc', 'true'],
  npm: ['npm', '--version'],
  pnpm: [...PNPM, '--version'],
  yarn: [...YARN, '--version'],
  tini: ['tini', '--version'],
  'dumb-init': ['dumb-init', '--version'],
};
const INSTALL: Record<string, string> = {
  unshare: 'util-linux (unshare) with user namespaces enabled',
  pnpm: 'run `npx pnpm@12.4.2 --version` once',
  yarn: 'run `npx --yes yarn@1.22.22 --version` once',
  tini: 'apt-get install tini',
  'dumb-init': 'apt-get install dumb-init',
};

/** The README table: entry → [drains by itself, warns]. */
function readmeTable(): Map<string, [string, string]> {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('| Entry (PID 1 of the container)');
  expect(start, 'the core README has the measured signal-path table').toBeGreaterThan(0);
  const rows = new Map<string, [string, string]>();
  for (const line of readme.slice(start).split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split(/(?<!\\)\|/).map((cell) => cell.trim());
    rows.set((cells[1] ?? '').replace(/^`|`$/g, '').replace(/\\\|/g, '|'), [cells[2] ?? '', cells[3] ?? '']);
  }
  return rows;
}

const missing = new Map<string, string>();
const outcomes = new Map<string, Outcome>();

beforeAll(async () => {
  const probe = unshareProbe();
  if (!probe.ok) missing.set('unshare', probe.reason);
  for (const [tool, command] of Object.entries(TOOLS)) {
    if (tool === 'unshare') continue;
    const reason = available(command);
    if (reason !== undefined) missing.set(tool, reason);
  }
  const runnable = ENTRIES.filter((e) => !missing.has('unshare') && e.needs.every((t) => !missing.has(t)));
  // Four at a time: each one spends most of its time waiting for npm or for SIGTERM's outcome.
  const queue = [...runnable];
  const worker = async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      outcomes.set(next.entry, await measure(next));
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  const table = ENTRIES.map((e) => {
    const o = outcomes.get(e.entry);
    return o === undefined
      ? `| ${e.entry} | not run |`
      : `| ${e.entry} | ${o.drained ? 'yes' : 'no'} | ${o.warnings.length ? 'yes' : 'no'} | sigterm ${o.sawSigterm} hung ${o.hung}`;
  });
  console.log(`signal path, measured:\n${table.join('\n')}`);
}, 300_000);

describe('SIGTERM to PID 1 of a PID namespace, entry by entry', () => {
  const table = readmeTable();

  it('the README table lists every entry this test measures, and only those', () => {
    expect([...table.keys()]).toEqual(ENTRIES.map((e) => e.entry));
  });

  for (const entry of ENTRIES) {
    it(`${entry.entry}: warns at start-up exactly when node does not drain and exit by itself`, (context) => {
      const lacking = ['unshare', ...entry.needs].filter((tool) => missing.has(tool));
      if (lacking.length > 0) {
        const why = lacking.map((t) => `${t}: ${missing.get(t)} (${INSTALL[t] ?? 'install it'})`).join('; ');
        if (process.env.CI) throw new Error(`cannot run ${entry.entry} in CI: ${why}`);
        context.skip(`skipped locally, ${why}`);
        return;
      }
      const outcome = outcomes.get(entry.entry);
      expect(outcome, entry.entry).toBeDefined();
      if (outcome === undefined) return;
      const row = table.get(entry.entry);
      expect(row, 'README row').toEqual([outcome.drained ? 'yes' : 'no', outcome.drained ? 'no' : 'yes']);
      // Once, and only where the signal does not make it.
      expect(outcome.warnings.length, outcome.stderr).toBe(outcome.drained ? 0 : 1);
    });
  }
});

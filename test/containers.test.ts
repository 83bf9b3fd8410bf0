import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatReport, type SimulationOptions } from 'lameduck';
import { describe, expect, it } from 'vitest';
import { DRAIN_DELAY_MS, LAG_MS, REPO, simulate } from './support/rollout.js';

// Replicas run the way a container runs them: the command is PID 1 of its own PID namespace,
// SIGTERM goes to that PID 1 only, and everything left in the pod dies with it. A wrapper that
// is PID 1 instead of node (npm, a shell, a script without exec) FAILS with the cause named,
// and no process outlives the run, whatever the command started.

// Short budgets so that a wrapper that swallows SIGTERM meets its SIGKILL within seconds.
const GRACE_SECONDS = 5;
const budgetEnv = {
  LAMEDUCK_DRAIN_DELAY_MS: String(DRAIN_DELAY_MS),
  LAMEDUCK_DRAIN_TIMEOUT_MS: '1000',
  LAMEDUCK_CLEANUP_TIMEOUT_MS: '500',
  LAMEDUCK_MARGIN_MS: '500',
};

/** Every live process (ours) whose environment carries the marker. */
function processesWithMarker(marker: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/environ`, 'utf8').includes(marker)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      found.push(`${entry} ${readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ')}`);
    } catch {
      // gone, or not ours
    }
  }
  return found;
}

async function rollout(command: string[], cwd = REPO) {
  const marker = `containers-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const options: SimulationOptions = {
    command,
    cwd,
    env: { ...budgetEnv, LAMEDUCK_TEST_RUN: marker },
    lagMs: LAG_MS,
    gracePeriodSeconds: GRACE_SECONDS,
    deleteAfterMs: 1000,
    afterExitMs: 500,
  };
  const report = await simulate(options);
  return { report, text: formatReport(report), left: processesWithMarker(marker) };
}

const SERVER = join(REPO, 'examples', 'node-http', 'server.js');

describe('replicas run as containers', () => {
  it('npm start: npm is PID 1, node dies with it: FAIL, cause named, nothing left behind', async () => {
    const { report, text, left } = await rollout(
      ['npm', 'start'],
      join(REPO, 'test', 'fixtures', 'npm-start'),
    );
    expect(report.pod.isolation, text).toBe('pid-namespace');
    expect(report.ok, text).toBe(false);
    expect(report.pod.sigtermTo?.name, text).toMatch(/^npm/);
    expect(report.pod.leftBehind, text).toContain('node');
    expect(report.problems.join('\n'), text).toMatch(/the process that got SIGTERM was `npm/);
    expect(text).not.toMatch(/exited by itself/);
    expect(report.processesKilledAtEnd, text).toBeGreaterThanOrEqual(2);
    expect(left).toEqual([]);
  });

  it("sh -c 'node …; echo': the shell is PID 1 and ignores SIGTERM: SIGKILL at the grace period, FAIL", async () => {
    const { report, text, left } = await rollout(['sh', '-c', `node ${SERVER}; echo the server ended`]);
    expect(report.ok, text).toBe(false);
    expect(report.pod.killed, text).toBe(true);
    expect(report.pod.signal, text).toBe('SIGKILL');
    expect(report.pod.sigtermTo?.name, text).toBe('sh');
    expect(report.pod.leftBehind, text).toContain('node');
    expect(report.problems.join('\n'), text).toMatch(/the process that got SIGTERM was `sh`/);
    expect(left).toEqual([]);
  });

  it('a start script without exec: FAIL with the cause named', async () => {
    const { report, text, left } = await rollout(['test/fixtures/start-without-exec.sh']);
    expect(report.ok, text).toBe(false);
    expect(report.pod.killed, text).toBe(true);
    expect(report.pod.sigtermTo?.name, text).not.toMatch(/^node/);
    expect(report.problems.join('\n'), text).toMatch(/not node/);
    expect(left).toEqual([]);
  });

  it('node as PID 1 with a daemon beside it: PASS; the daemon dies with PID 1, nothing outlives the run', async () => {
    const { report, text, left } = await rollout(['sh', '-c', `sleep 300 & exec node ${SERVER}`]);
    expect(report.ok, text).toBe(true);
    expect(report.pod.exitCode, text).toBe(0);
    expect(report.pod.sigtermTo?.name, text).toBe('node');
    expect(report.pod.leftBehind, text).toEqual(['sleep']);
    // pod-2: its node and its sleep.
    expect(report.processesKilledAtEnd, text).toBe(2);
    expect(text).toMatch(/PASS {2}no request failed and pod-1 exited by itself with code 0/);
    expect(left).toEqual([]);
  });
});

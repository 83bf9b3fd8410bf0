import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DRAIN_DELAY_MS,
  HAPROXY_MISSING,
  haproxyInstalled,
  LAG_MS,
  NAIVE_SERVER,
  REPO,
} from './support/rollout.js';

const haproxy = haproxyInstalled();

// The published entry point, as users and CI run it: `node packages/cli/dist/bin.js simulate …`.

const BIN = join(REPO, 'packages', 'cli', 'dist', 'bin.js');
const HARD_TIMEOUT_MS = 60_000;
const children = new Set<ChildProcess>();

afterEach(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
});

interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: string[], onStderr?: (text: string, child: ChildProcess) => void): Promise<Finished> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const guard = setTimeout(() => child.kill('SIGKILL'), HARD_TIMEOUT_MS);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    onStderr?.(stderr, child);
  });
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(guard);
      // Let the pipes drain.
      setImmediate(() => resolve({ code, signal, stdout, stderr }));
    });
  });
}

const fast = ['--lag-ms', String(LAG_MS), '--delete-after-ms', '1000', '--after-exit-ms', '500'];

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('lameduck simulate (bin)', () => {
  it('exits 2 with a message for bad arguments', async () => {
    const result = await run(['simulate', '--lb', 'envoy', '--', 'node', 'server.js']);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toBe('');
    expect(result.stdout).toBe('');
  });

  it('exits 0 and prints a JSON report for a clean rollout of an example', async () => {
    const result = await run([
      'simulate',
      '--example',
      'node-http',
      '--drain-delay-ms',
      String(DRAIN_DELAY_MS),
      '--json',
      ...fast,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.ok).toBe(true);
    expect(report.requests.failed).toBe(0);
    expect(report.pod.exitCode).toBe(0);
    expect(report.pod.exitAfterSigtermMs).toBeGreaterThanOrEqual(DRAIN_DELAY_MS);
  });

  it('exits 1 when requests fail (naive server), with the failures in the human report', async () => {
    const result = await run([
      'simulate',
      ...fast,
      '--grace-period',
      '3',
      '--',
      process.execPath,
      NAIVE_SERVER,
    ]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/^FAIL$/m);
  });

  for (const lb of ['kube-proxy', 'haproxy']) {
    it.skipIf(lb === 'haproxy' && !haproxy && !process.env.CI)(
      `${lb}: kills every process it started on Ctrl-C and exits 130`,
      async () => {
        expect(lb === 'kube-proxy' || haproxy, HAPROXY_MISSING).toBe(true);
        const pids: number[] = [];
        let interrupted = false;
        const result = await run(
          [
            'simulate',
            '--lb',
            lb,
            '--delete-after-ms',
            '30000',
            '--',
            process.execPath,
            'examples/node-http/server.js',
          ],
          (stderr, child) => {
            // Status lines name every PID ("pod-1 pid N port P", "HAProxy (pid N)"); interrupt once the load runs.
            if (interrupted || !/load: /.test(stderr)) return;
            interrupted = true;
            for (const match of stderr.matchAll(/pid (\d+)/g)) pids.push(Number(match[1]));
            child.kill('SIGINT');
          },
        );
        expect(interrupted).toBe(true);
        expect(result.code).toBe(130);
        expect(pids).toHaveLength(lb === 'haproxy' ? 3 : 2);
        for (const pid of pids) expect(isRunning(pid), `pid ${pid} still running`).toBe(false);
      },
    );
  }
});

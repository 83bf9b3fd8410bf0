import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import {
  childPidOf,
  containerSupport,
  isLiveProcess,
  namespaceProcesses,
  UNSHARE_ARGS,
} from '../src/container.js';
import { sleep } from '../src/net-util.js';

// The looks inside a replica that the report's "killed with PID 1" line rests on, on real
// processes: a zombie or an exiting PID 1 is not alive, and a namespace is read from inside.

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

async function childOf(parent: number): Promise<number> {
  for (let i = 0; i < 400; i += 1) {
    const pid = childPidOf(parent);
    if (pid !== undefined) return pid;
    await sleep(5);
  }
  throw new Error(`no child of ${parent} within 2 s`);
}

describe('isLiveProcess', () => {
  it('is true for a running process and false for one that is gone', () => {
    expect(isLiveProcess(process.pid)).toBe(true);
    // PIDs are below 2^22 on Linux.
    expect(isLiveProcess(2 ** 22 + 1)).toBe(false);
  });

  it('is false for a zombie (exited, not yet reaped)', async () => {
    // `sleep 0` exits at once; the shell execs into a sleep that never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 0 & exec sleep 30'], { stdio: 'ignore' });
    started.push(parent);
    const zombie = await childOf(parent.pid ?? -1);
    await sleep(200);
    expect(isLiveProcess(parent.pid ?? -1)).toBe(true);
    expect(isLiveProcess(zombie)).toBe(false);
  });
});

describe('namespaceProcesses', () => {
  it('names every process of a PID namespace as seen inside it, PID 1 first', async () => {
    expect(containerSupport().reason).toBeUndefined();
    const outer = spawn('unshare', [...UNSHARE_ARGS, 'sh', '-c', 'sleep 30 & exec sleep 31'], {
      stdio: 'ignore',
    });
    started.push(outer);
    const pid1 = await childOf(outer.pid ?? -1);
    let seen: { readonly pid: number; readonly name: string }[] = [];
    for (let i = 0; i < 100 && seen.length < 2; i += 1) {
      await sleep(10);
      seen = namespaceProcesses(pid1);
    }
    expect(seen).toEqual([
      { pid: 1, name: 'sleep' },
      { pid: 2, name: 'sleep' },
    ]);
    expect(isLiveProcess(pid1)).toBe(true);
  });

  it('is empty for a PID that is gone', () => {
    expect(namespaceProcesses(2 ** 22 + 1)).toEqual([]);
  });
});

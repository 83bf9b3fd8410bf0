// The copy of the simulator that runs inside its own user + network + PID namespace
// (netns.ts): brings loopback up, runs one simulation, reports over the IPC channel, exits.
import { execFileSync } from 'node:child_process';
import { LameduckError } from '@lameduck/core';
import type { ChildMessage, ParentMessage } from './netns.js';
import { simulate } from './simulate.js';

const send = (message: ChildMessage) =>
  new Promise<void>((resolve) => {
    if (process.send === undefined) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });
const controller = new AbortController();
// The parent went away: stop, and take every process along (PID 1 of this namespace exits).
process.once('disconnect', () => controller.abort());

process.on('message', (raw) => {
  const message = raw as ParentMessage;
  if (message.type === 'abort') {
    controller.abort();
    return;
  }
  void (async () => {
    try {
      execFileSync('ip', ['link', 'set', 'lo', 'up'], { stdio: 'pipe' });
      const report = await simulate({
        ...message.options,
        onProgress: (update) => void send({ type: 'progress', update }),
        onReplicaOutput: (pod, line) => void send({ type: 'output', pod, line }),
        signal: controller.signal,
      });
      await send({ type: 'report', report });
    } catch (error) {
      await send({
        type: 'error',
        code: error instanceof LameduckError ? error.code : 'LAMEDUCK_SIMULATION_SETUP',
        message: error instanceof Error ? error.message : String(error),
      });
    } finally {
      process.disconnect?.();
      process.exit(0);
    }
  })();
});

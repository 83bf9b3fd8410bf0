import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { REPO } from './support/rollout.js';

// The adapter READMEs' quick starts, copied as written into a file, run with node as a real
// process, probed, and stopped with SIGTERM: they must become ready, answer GET /, and exit 0.
// The files go to examples/<framework>/.lameduck-tmp/ (gitignored), where the framework and
// the adapter resolve like in a user's project.

interface QuickStart {
  readonly name: string;
  readonly readme: string;
  readonly example: string;
  /** Index of the ```js block in the README. */
  readonly block: number;
}

const QUICK_STARTS: readonly QuickStart[] = [
  { name: 'express ESM', readme: 'packages/express/README.md', example: 'express', block: 0 },
  { name: 'express CommonJS', readme: 'packages/express/README.md', example: 'express', block: 1 },
  { name: 'koa ESM', readme: 'packages/koa/README.md', example: 'koa', block: 0 },
  { name: 'koa CommonJS', readme: 'packages/koa/README.md', example: 'koa', block: 1 },
  { name: 'fastify', readme: 'packages/fastify/README.md', example: 'fastify', block: 0 },
];

const HARD_TIMEOUT_MS = 20_000;
const children = new Set<ChildProcess>();
const tmpDirs = new Set<string>();

afterEach(() => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
});

afterAll(() => {
  for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
});

function jsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
}

/** A port that was free a moment ago (the snippets read PORT; they do not print the port). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

async function get(port: number, path: string): Promise<number | undefined> {
  try {
    const response = await request(`http://127.0.0.1:${port}${path}`, {
      headersTimeout: 1000,
      bodyTimeout: 1000,
    });
    await response.body.dump();
    return response.statusCode;
  } catch {
    return undefined;
  }
}

describe('README quick starts run as written', () => {
  it.each(QUICK_STARTS.map((quickStart) => [quickStart.name, quickStart]))(
    '%s: ready, serves GET /, exits 0 on SIGTERM',
    async (_name, quickStart) => {
      const code = jsBlocks(readFileSync(join(REPO, quickStart.readme), 'utf8'))[quickStart.block];
      expect(code, `${quickStart.readme} has no js block ${quickStart.block}`).toBeDefined();
      const dir = join(REPO, 'examples', quickStart.example, '.lameduck-tmp');
      mkdirSync(dir, { recursive: true });
      tmpDirs.add(dir);
      const file = join(
        dir,
        `quickstart-${quickStart.block}.${/\brequire\(/.test(code ?? '') ? 'cjs' : 'mjs'}`,
      );
      writeFileSync(file, code ?? '');

      const port = await freePort();
      let output = '';
      const child = spawn(process.execPath, [file], {
        cwd: dir,
        env: { ...process.env, PORT: String(port), KUBERNETES_SERVICE_HOST: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.add(child);
      const guard = setTimeout(() => child.kill('SIGKILL'), HARD_TIMEOUT_MS);
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
      });
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
      });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once('exit', (exitCode, signal) => resolve({ code: exitCode, signal })),
      );

      let ready: number | undefined;
      const deadline = performance.now() + 10_000;
      while (ready !== 200 && performance.now() < deadline && child.exitCode === null) {
        ready = await get(port, '/readyz');
        if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(ready, output).toBe(200);
      expect(await get(port, '/'), output).toBe(200);

      child.kill('SIGTERM');
      const result = await exited;
      clearTimeout(guard);
      expect(result, output).toEqual({ code: 0, signal: null });
    },
  );
});

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from './support/rollout.js';

// The READMEs' quick starts, as a new user meets them: a fresh project made by `npm init -y`
// ("type": "commonjs", as npm 11 writes it), the code saved under the file name the README gives
// just above the block, run with node as a real process, probed, and stopped with SIGTERM: they
// must become ready, answer GET /, and exit 0. Then all of them type-check under strict
// TypeScript (checkJs). The packages are linked from this workspace (no registry).

interface QuickStart {
  readonly name: string;
  readonly readme: string;
  /** Index of the ```js block in the README. */
  readonly block: number;
}

const QUICK_STARTS: readonly QuickStart[] = [
  { name: 'core', readme: 'packages/core/README.md', block: 0 },
  { name: 'express ESM', readme: 'packages/express/README.md', block: 0 },
  { name: 'express CommonJS', readme: 'packages/express/README.md', block: 1 },
  { name: 'koa ESM', readme: 'packages/koa/README.md', block: 0 },
  { name: 'koa CommonJS', readme: 'packages/koa/README.md', block: 1 },
  { name: 'fastify', readme: 'packages/fastify/README.md', block: 0 },
];

/** What the fresh project's node_modules holds: a package name and the folder it links to. */
const LINKS: Readonly<Record<string, string>> = {
  '@lameduck/core': 'packages/core',
  '@lameduck/express': 'packages/express',
  '@lameduck/koa': 'packages/koa',
  '@lameduck/fastify': 'packages/fastify',
  express: 'packages/express/node_modules/express',
  koa: 'packages/koa/node_modules/koa',
  fastify: 'packages/fastify/node_modules/fastify',
  '@types/node': 'node_modules/@types/node',
  '@types/express': 'packages/express/node_modules/@types/express',
  '@types/koa': 'packages/koa/node_modules/@types/koa',
};

let project = '';
const written: string[] = [];

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'lameduck-quickstart-'));
  const init = spawnSync('npm', ['init', '-y'], { cwd: project, encoding: 'utf8', timeout: 60_000 });
  expect(init.status, init.stderr).toBe(0);
  const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
  // npm 11 writes "type": "commonjs"; npm 10 leaves it out, which node reads the same way.
  manifest.type ??= 'commonjs';
  writeFileSync(join(project, 'package.json'), JSON.stringify(manifest, null, 2));
  for (const [name, target] of Object.entries(LINKS)) {
    const link = join(project, 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(realpathSync(join(REPO, target)), link, 'dir');
  }
});

const HARD_TIMEOUT_MS = 20_000;
const children = new Set<ChildProcess>();

afterEach(() => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
});

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

/** Each ```js block with the file name the paragraph just above it gives (`server.mjs`). */
function jsBlocks(markdown: string): { code: string; file: string | undefined }[] {
  return [...markdown.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => {
    const before =
      markdown
        .slice(0, match.index)
        .trimEnd()
        .split(/\n\s*\n/)
        .at(-1) ?? '';
    const file = /`([\w.-]+\.(?:mjs|cjs|js))`/.exec(before)?.[1];
    return { code: match[1] ?? '', file };
  });
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
      const block = jsBlocks(readFileSync(join(REPO, quickStart.readme), 'utf8'))[quickStart.block];
      expect(block, `${quickStart.readme} has no js block ${quickStart.block}`).toBeDefined();
      expect(
        block?.file,
        `${quickStart.readme}: name the file to save block ${quickStart.block} as`,
      ).toBeDefined();
      const dir = join(project, quickStart.name.replace(/\W+/g, '-'));
      mkdirSync(dir, { recursive: true });
      const file = join(dir, block?.file ?? 'server.js');
      writeFileSync(file, block?.code ?? '');
      written.push(file);

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

  it('type-check under strict TypeScript (checkJs, node16 module resolution)', () => {
    expect(written).toHaveLength(QUICK_STARTS.length);
    const tsc = spawnSync(
      process.execPath,
      [
        join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'),
        '--noEmit',
        '--allowJs',
        '--checkJs',
        '--strict',
        '--skipLibCheck',
        '--target',
        'es2022',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--types',
        'node',
        ...written,
      ],
      { cwd: project, encoding: 'utf8', timeout: 90_000 },
    );
    expect(`${tsc.stdout}${tsc.stderr}`).toBe('');
    expect(tsc.status).toBe(0);
  });
});

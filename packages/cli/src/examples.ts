import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { usageError } from './args.js';

export interface ExampleSpec {
  /** Directory under `examples/`. */
  readonly dir: string;
  /** Entry file inside it. */
  readonly entry: string;
  readonly env: Readonly<Record<string, string>>;
  /** What to do when the entry is missing. */
  readonly missingHint: string;
}

const BUILD_HINT = 'run `npx pnpm@12.4.2 install && npx pnpm@12.4.2 run build` at the repo root';

/** The examples `--example` knows, in the order `--example all` runs them. */
export const EXAMPLES: Readonly<Record<string, ExampleSpec>> = Object.freeze({
  'node-http': { dir: 'node-http', entry: 'server.js', env: {}, missingHint: BUILD_HINT },
  express: { dir: 'express', entry: 'server.js', env: {}, missingHint: BUILD_HINT },
  koa: { dir: 'koa', entry: 'server.js', env: {}, missingHint: BUILD_HINT },
  fastify: { dir: 'fastify', entry: 'server.js', env: {}, missingHint: BUILD_HINT },
  'nestjs-express': {
    dir: 'nestjs',
    entry: 'dist/main.js',
    env: { NEST_PLATFORM: 'express' },
    missingHint: BUILD_HINT,
  },
  'nestjs-fastify': {
    dir: 'nestjs',
    entry: 'dist/main.js',
    env: { NEST_PLATFORM: 'fastify' },
    missingHint: BUILD_HINT,
  },
  // /ws on IoAdapter: simulate it with --socket-io.
  'nestjs-socketio': {
    dir: 'nestjs',
    entry: 'dist/main.js',
    env: { NEST_PLATFORM: 'express', NEST_WEBSOCKETS: 'socket.io' },
    missingHint: BUILD_HINT,
  },
});

/** The drain delay the examples get unless --drain-delay-ms says otherwise. */
export const EXAMPLE_DRAIN_DELAY_MS = 3000;

/** Finds the lameduck repository by walking up from each start directory. */
export function findRepoRoot(starts: readonly string[]): string | undefined {
  for (const start of starts) {
    let dir = resolve(start);
    for (;;) {
      const manifest = join(dir, 'package.json');
      if (existsSync(manifest) && existsSync(join(dir, 'examples'))) {
        try {
          if (JSON.parse(readFileSync(manifest, 'utf8')).name === 'lameduck-monorepo') return dir;
        } catch {
          // not ours; keep walking
        }
      }
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return undefined;
}

export interface ResolvedExample {
  readonly name: string;
  readonly command: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** Set when the example's entry file does not exist. */
  readonly missing?: string;
}

/** Turns `--example <name|all>` into the commands to run (`all`: every example, in order). */
export function resolveExamples(name: string, root: string | undefined): ResolvedExample[] {
  const names = name === 'all' ? Object.keys(EXAMPLES) : [name];
  if (name !== 'all' && EXAMPLES[name] === undefined) {
    throw usageError(
      `unknown example ${JSON.stringify(name)}; known: ${Object.keys(EXAMPLES).join(', ')}, all.`,
    );
  }
  if (root === undefined) {
    throw usageError(
      '--example runs the examples of the lameduck repository, and none was found above the current directory. Run it from a clone of the repo, or give your own command after `--`.',
    );
  }
  return names.map((example) => {
    const spec = EXAMPLES[example] as ExampleSpec;
    const entry = join(root, 'examples', spec.dir, spec.entry);
    return {
      name: example,
      command: [process.execPath, join('examples', spec.dir, spec.entry)],
      cwd: root,
      env: spec.env,
      ...(existsSync(entry) ? {} : { missing: `${entry} does not exist; ${spec.missingHint}` }),
    };
  });
}

import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// What the Node version matrix (scripts/node-matrix.mjs) relies on and what it promises: the Node
// binaries it installs never become a workspace dependency, `engines` names exactly the tested
// lines, and the examples' Dockerfiles start from the active LTS.
const ROOT = resolve(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

const MATRIX =
  /LAMEDUCK_NODE_VERSIONS \?\? '([\d ]+)'/.exec(read('scripts/node-matrix.mjs'))?.[1]?.split(' ') ?? [];
/** The machine's own line (the full suite) first, then the matrix. */
const TESTED = ['20', ...MATRIX];
/** Every tested line, the newest one open-ended: ^20.0.0 || ^22.0.0 || ^24.0.0 || >=26.0.0. */
const ENGINES = TESTED.map((major, i) => (i === TESTED.length - 1 ? `>=${major}.0.0` : `^${major}.0.0`)).join(
  ' || ',
);

const manifests = ['packages', 'examples'].flatMap((dir) =>
  readdirSync(join(ROOT, dir)).map((name) => `${dir}/${name}/package.json`),
);
const workspace = ['package.json', 'test/package.json', 'bench/package.json', ...manifests];
const json = (file: string) => JSON.parse(read(file));

describe('Node versions', () => {
  it('the matrix runs 22, 24 and 26 besides the machine’s 20', () => {
    expect(TESTED).toEqual(['20', '22', '24', '26']);
  });

  it.each(workspace)('%s does not depend on a Node binary package', (file) => {
    const pkg = json(file);
    const names = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'].flatMap(
      (field) => Object.keys(pkg[field] ?? {}),
    );
    expect(names.filter((name) => name === 'node' || /^node-(linux|darwin|win)-/.test(name))).toEqual([]);
  });

  it('pnpm-lock.yaml has no Node binary package', () => {
    expect(read('pnpm-lock.yaml')).not.toMatch(/^\s+node(-linux-x64)?@/m);
  });

  it.each(manifests.filter((file) => !json(file).private))('%s: engines names the tested lines', (file) => {
    expect(json(file).engines?.node).toBe(ENGINES);
  });

  // The active LTS line: v24.22.3 reports process.release.lts 'Krypton'; v26.12.1 reports none yet.
  const ACTIVE_LTS = '24';
  it.each(readdirSync(join(ROOT, 'examples')))(
    'examples/%s/Dockerfile starts from the active LTS',
    (name) => {
      const majors = [...read(`examples/${name}/Dockerfile`).matchAll(/^FROM node:(\d+)/gm)].map((m) => m[1]);
      expect(majors.length).toBeGreaterThan(0);
      for (const major of majors) expect(major).toBe(ACTIVE_LTS);
      expect(TESTED).toContain(ACTIVE_LTS);
    },
  );
});

#!/usr/bin/env node
// The public API of every publishable package, as checked-in reports made by API Extractor from the
// built .d.ts: packages/<dir>/etc/<name>.api.md, one per entry point in `exports` that has types.
// Packages are found by themselves: every packages/* folder whose package.json is not private.
//
//   node scripts/api-report.mjs            check: fails when a report is missing, stale or differs
//   node scripts/api-report.mjs --update   rewrite the reports (`pnpm run api:update` builds first)
//   --packages <dir>                       read the packages from <dir> instead of packages/
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: { update: { type: 'boolean', default: false }, packages: { type: 'string' } },
});
const packagesDir = resolve(values.packages ?? join(root, 'packages'));
const update = values.update;
const temp = mkdtempSync(join(tmpdir(), 'lameduck-api-'));
const problems = [];

/** Entry points with types: `.` → `<name>`, `./testing` → `<name>-testing`. */
function entryPoints(pkg) {
  const unscoped = pkg.name.replace(/^@[^/]+\//, '');
  const entries = [];
  for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
    const types = typeof target === 'object' ? (target.import?.types ?? target.types) : undefined;
    if (typeof types !== 'string') continue;
    const suffix = subpath === '.' ? '' : `-${subpath.replace(/^\.\//, '').replaceAll('/', '-')}`;
    entries.push({ report: `${unscoped}${suffix}`, types });
  }
  return entries;
}

function extract(pkgDir, entry) {
  const dts = join(pkgDir, entry.types);
  if (!existsSync(dts)) {
    problems.push(`${relative(root, dts)} is missing: run \`pnpm run build\` first`);
    return;
  }
  const reportFolder = join(pkgDir, 'etc');
  if (update) mkdirSync(reportFolder, { recursive: true });
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: pkgDir,
      mainEntryPointFilePath: dts,
      newlineKind: 'lf',
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            target: 'ES2022',
            lib: ['ES2023'],
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            types: ['node'],
            strict: true,
            skipLibCheck: true,
          },
          files: [dts],
        },
      },
      apiReport: {
        enabled: true,
        reportFileName: `${entry.report}.api.md`,
        reportFolder,
        reportTempFolder: join(temp, entry.report),
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        compilerMessageReporting: { default: { logLevel: 'error' } },
        extractorMessageReporting: {
          // Only what a reviewer should see: a type the API uses but the entry point does not export.
          // (Notes with d.ts line numbers would change the report on every unrelated edit.)
          default: { logLevel: 'none', addToApiReportFile: false },
          'ae-forgotten-export': { logLevel: 'none', addToApiReportFile: true },
        },
        tsdocMessageReporting: { default: { logLevel: 'none', addToApiReportFile: false } },
      },
    },
    configObjectFullPath: undefined,
    packageJsonFullPath: join(pkgDir, 'package.json'),
  });
  const result = Extractor.invoke(config, {
    localBuild: update,
    messageCallback: (message) => {
      // The report's own "changed"/"missing" notices are ours to word; everything else prints.
      if (
        message.messageId === 'console-api-report-changed' ||
        message.messageId === 'console-api-report-missing'
      )
        message.handled = true;
      else if (message.logLevel === 'error') problems.push(`${relative(root, dts)}: ${message.text}`);
      else message.logLevel = 'none';
    },
  });
  const file = relative(root, join(reportFolder, `${entry.report}.api.md`));
  if (!result.succeeded && result.errorCount > 0) return;
  if (result.apiReportChanged && update) console.log(`updated  ${file}`);
  else if (result.apiReportChanged) problems.push(`${file} differs from the built API (or is missing)`);
  else console.log(`ok       ${file}`);
}

try {
  for (const dir of readdirSync(packagesDir).sort()) {
    const pkgDir = join(packagesDir, dir);
    if (!existsSync(join(pkgDir, 'package.json'))) continue;
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    if (pkg.private) continue;
    const entries = entryPoints(pkg);
    if (entries.length === 0) problems.push(`${pkg.name}: no entry point with types in "exports"`);
    for (const entry of entries) extract(pkgDir, entry);
    // A report left from a removed entry point is stale.
    const expected = new Set(entries.map((entry) => `${entry.report}.api.md`));
    const etc = join(pkgDir, 'etc');
    for (const name of existsSync(etc) ? readdirSync(etc) : []) {
      if (!name.endsWith('.api.md') || expected.has(name)) continue;
      if (update) {
        rmSync(join(etc, name));
        console.log(`removed  ${relative(root, join(etc, name))}`);
      } else problems.push(`${relative(root, join(etc, name))} belongs to no entry point`);
    }
  }
} finally {
  rmSync(temp, { recursive: true, force: true });
}
if (problems.length > 0) {
  for (const problem of problems) console.log(`FAIL     ${problem}`);
  console.log(
    'The public API changed. If that is intended, run `pnpm run api:update` and commit the reports (packages/*/etc/*.api.md).',
  );
  process.exit(1);
}

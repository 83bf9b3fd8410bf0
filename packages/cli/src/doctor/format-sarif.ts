import type { Finding, Level } from './findings.js';
import { RULES } from './rules.js';

/** SARIF 2.1.0 for GitHub code scanning: one run, every rule described, one result per finding. */
export function formatSarif(findings: readonly Finding[], version: string): object {
  const index = new Map(RULES.map((rule, i) => [rule.id, i]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'lameduck doctor',
            version,
            rules: RULES.map((rule) => ({
              id: rule.id,
              name: rule.id.replace(/[/-](\w)/g, (_, c: string) => c.toUpperCase()),
              shortDescription: { text: rule.title },
              fullDescription: { text: rule.why },
              help: { text: `${rule.why}\nFix: ${rule.fix}` },
              defaultConfiguration: { level: rule.level },
            })),
          },
        },
        results: findings.map((finding) => ({
          ruleId: finding.rule,
          ruleIndex: index.get(finding.rule) ?? 0,
          level: finding.level satisfies Level,
          message: { text: finding.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: {
                  uri: finding.file === '<stdin>' ? 'stdin' : finding.file.split('\\').join('/'),
                },
                region: { startLine: Math.max(1, finding.line) },
              },
            },
          ],
        })),
      },
    ],
  };
}

// Prints the closing line CI reads, "N passed, N failed, N skipped", from vitest's JSON report.
// A test file that failed to load (syntax error, missing module, a missing peer under CI) counts as
// one failure, and so does each check named with --failed-check (lint, typecheck), so the line stays
// the one number CI needs. Exits non-zero when anything failed or nothing ran.
//   node scripts/test-summary.mjs [report.json] [--failed-check NAME ...]
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const failedChecks = [];
let file = 'test-results/vitest.json';
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--failed-check') failedChecks.push(args[++i] ?? 'unnamed check');
  else file = args[i];
}
for (const c of failedChecks) console.log(`failed check: ${c}`);

let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.log(`tests: no report at ${file} (${err.message})`);
  console.log(`0 passed, ${1 + failedChecks.length} failed`);
  process.exit(1);
}
const files = report.testResults ?? [];
const brokenFiles = files.filter((f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'));
for (const f of brokenFiles) console.log(`failed to run: ${f.name}${f.message ? `: ${f.message.split('\n')[0]}` : ''}`);
const passed = report.numPassedTests ?? 0;
const failed = (report.numFailedTests ?? 0) + brokenFiles.length + failedChecks.length;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);

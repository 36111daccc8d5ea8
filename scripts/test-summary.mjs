// Prints the closing line CI reads, "N passed, N failed, N skipped", from vitest's JSON report.
// A test file that failed to load (syntax error, missing module) counts as one failure.
// Exits non-zero when anything failed or nothing ran.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'test-results/vitest.json';
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.log(`tests: no report at ${file} (${err.message})`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const files = report.testResults ?? [];
const brokenFiles = files.filter((f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'));
for (const f of brokenFiles) console.log(`failed to run: ${f.name}${f.message ? `: ${f.message.split('\n')[0]}` : ''}`);
const passed = report.numPassedTests ?? 0;
const failed = (report.numFailedTests ?? 0) + brokenFiles.length;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);

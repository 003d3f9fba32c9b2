#!/usr/bin/env node
// `npm test`: type-check, format and lint check, then run vitest once with its JSON reporter, and finish with the plain
// line `N passed, N failed` that CI counts (vitest's own summary is not parsed by CI).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, existsSync } from 'node:fs';

const bin = (name) => new URL(`../node_modules/.bin/${name}`, import.meta.url).pathname;
const report = new URL('../.vitest-report.json', import.meta.url).pathname;
const extra = process.argv.slice(2);

// The studio page (studio/) is browser code: its own project, with the DOM library.
const tsc = ['tsconfig.json', 'studio/tsconfig.json']
  .map((project) => spawnSync(bin('tsc'), ['-p', project, '--noEmit'], { stdio: 'inherit' }))
  .find((r) => r.status !== 0) ?? { status: 0 };
if (tsc.status !== 0) console.error('type-check failed (see above)');
// House rules: Biome checks formatting and lint in one pass (`npm run format` fixes both).
const biome = spawnSync(bin('biome'), ['ci', '.'], { stdio: 'inherit' });
if (biome.status !== 0) console.error('format/lint check failed (see above; `npm run format` fixes formatting)');
const typeErrors = (tsc.status === 0 ? 0 : 1) + (biome.status === 0 ? 0 : 1);

rmSync(report, { force: true });
const run = spawnSync(
  bin('vitest'),
  ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra],
  { stdio: 'inherit', env: { ...process.env, FORCE_COLOR: process.env.CI ? '0' : process.env.FORCE_COLOR } },
);

let passed = 0;
let failed = typeErrors;
if (existsSync(report)) {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed += json.numPassedTests ?? 0;
  failed += (json.numFailedTests ?? 0) + (json.numRuntimeErrorTestSuites ?? 0);
  // A suite that failed to load reports no tests; count it so it cannot pass silently.
  for (const file of json.testResults ?? []) {
    if (file.status === 'failed' && (file.assertionResults ?? []).length === 0) failed += 1;
  }
} else {
  failed += 1;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(run.status === 0 && failed === 0 && passed > 0 ? 0 : 1);

#!/usr/bin/env node
// `npm run build` (also `prepare`, so `npm ci` and `npm pack` run it): compiles src/, compiler/ and
// runtime/ to JavaScript + declaration files in dist/ with tsc (TypeScript 7's native compiler:
// one tool for both; see tsconfig.build.json), then bundles the studio page into dist/studio/ so
// an installed package serves it without its sources or CodeMirror. dist/ is removed first so a
// deleted source file cannot leave a stale module behind.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';

const root = new URL('../', import.meta.url);
rmSync(new URL('dist', root), { recursive: true, force: true });
const tsc = new URL('node_modules/.bin/tsc', root).pathname;
const run = spawnSync(tsc, ['-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (run.status !== 0) {
  console.error(
    'build failed: tsc reported the errors above (nothing was written to dist/; fix them and run `npm run build`)',
  );
  process.exit(run.status ?? 1);
}

const { writeStudioPage } = await import('../dist/src/studio/page.js');
try {
  await writeStudioPage();
} catch (err) {
  rmSync(new URL('dist', root), { recursive: true, force: true });
  console.error(`build failed: the studio page did not bundle: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

// Writes compiler/codegen/prelude-source.ts: the text of prelude.ts as a string constant, so the
// helpers generated modules carry ship with the compiler however it is built. Run after editing
// prelude.ts (`npm run gen:prelude`); test/compiler/codegen/prelude.test.ts fails while it is stale.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const dir = new URL('../compiler/codegen/', import.meta.url);
const source = readFileSync(new URL('prelude.ts', dir), 'utf8');
const out = [
  '// Generated from prelude.ts by scripts/gen-prelude.ts (`npm run gen:prelude`) — do not edit.',
  `export const PRELUDE_SOURCE = ${JSON.stringify(source)};`,
  '',
].join('\n');
writeFileSync(new URL('prelude-source.ts', dir), out);
// Biome's layout, so `npm test`'s format check passes without a second step.
const biome = new URL('../node_modules/.bin/biome', import.meta.url).pathname;
const formatted = spawnSync(biome, ['format', '--write', new URL('prelude-source.ts', dir).pathname], {
  stdio: 'inherit',
});
if (formatted.status !== 0) process.exitCode = 1;

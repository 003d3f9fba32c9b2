// Writes compiler/codegen/prelude-source.ts: the text of prelude.ts as a string constant, so the
// helpers generated modules carry ship with the compiler however it is built. Run after editing
// prelude.ts (`npm run gen:prelude`); test/compiler/codegen/prelude.test.ts fails while it is stale.
import { readFileSync, writeFileSync } from 'node:fs';

const dir = new URL('../compiler/codegen/', import.meta.url);
const source = readFileSync(new URL('prelude.ts', dir), 'utf8');
const out = [
  '// Generated from prelude.ts by scripts/gen-prelude.ts (`npm run gen:prelude`) — do not edit.',
  `export const PRELUDE_SOURCE = ${JSON.stringify(source)};`,
  '',
].join('\n');
writeFileSync(new URL('prelude-source.ts', dir), out);
